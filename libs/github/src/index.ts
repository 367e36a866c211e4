export * from './node-http-fetch.js';
export * from './plain-json.js';
export * from './github-octokit.js';
