export * from './github-install.config.js';
export * from './github-install.module.js';
