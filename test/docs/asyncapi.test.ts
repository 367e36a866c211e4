import { readFile } from 'node:fs/promises';
import { describe, expect, test } from '@jest/globals';
import { Parser } from '@asyncapi/parser';
import { ASYNCAPI_PATH, asyncApiText } from '../../scripts/docs/asyncapi.js';
import {
  noticeSubjects,
  requestSubjects,
  streamMessages,
} from '../../libs/contracts/src/schemas/bus-catalog.js';
import {
  DeadLetterSubjects,
  GatewaySubjects,
  GithubSubjects,
  IntegrationSubjects,
  ProviderSubjects,
  RuleSubjects,
  RulesEngineSubjects,
  ScannerSubjects,
  Streams,
  WorkspaceSubjects,
} from '#libs/contracts/src/index.js';

/** Every subject constant the contracts define. */
const contractSubjects = [
  IntegrationSubjects,
  RuleSubjects,
  ProviderSubjects,
  ScannerSubjects,
  RulesEngineSubjects,
  GatewaySubjects,
  GithubSubjects,
  DeadLetterSubjects,
  WorkspaceSubjects,
].flatMap((group) => Object.values(group) as string[]);
const isRequest = (s: string) => s.includes('.cmd.') || s.includes('.q.');

describe('docs/asyncapi.yaml', () => {
  test('is what the contracts produce (regenerate with npm run docs)', async () => {
    expect(await readFile(ASYNCAPI_PATH, 'utf8')).toBe(asyncApiText());
  });

  test('is a valid AsyncAPI 3 document by the AsyncAPI parser', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiText());
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  test('names every stream of the contracts and a publisher for each', () => {
    const documented = streamMessages.map((s) => s.stream.name).sort();
    expect(documented).toEqual(
      Object.values(Streams)
        .map((s) => s.name)
        .sort(),
    );
    for (const s of streamMessages) expect(s.publishedBy.length).toBeGreaterThan(0);
  });

  test('catalogs every command and query subject of the contracts', () => {
    expect(requestSubjects.map((r) => r.subject).sort()).toEqual(
      contractSubjects.filter(isRequest).sort(),
    );
  });

  test('catalogs every other subject as a notice or as the prefix of a stream message', () => {
    const onStreams = streamMessages.flatMap((s) => s.messages.map((m) => m.subject));
    const undocumented = contractSubjects
      .filter((s) => !isRequest(s))
      .filter(
        (s) =>
          !noticeSubjects.some((n) => n.subject === s) &&
          !onStreams.some((m) => m.startsWith(`${s}.`)),
      );
    expect(undocumented).toEqual([]);
  });

  test('has a channel and a send operation for every notice', async () => {
    const { document } = await new Parser().parse(asyncApiText());
    for (const { subject, publishedBy } of noticeSubjects) {
      const channel = document!
        .allChannels()
        .all()
        .find((c) => c.address() === subject);
      expect(channel?.messages().all()).toHaveLength(1);
      const sends = channel!
        .operations()
        .all()
        .filter((o) => o.action() === 'send');
      expect(sends.map((o) => o.json()['x-published-by'])).toEqual([[publishedBy]]);
    }
  });

  test('has a request and a reply for every request/reply subject', async () => {
    const { document } = await new Parser().parse(asyncApiText());
    for (const { subject } of requestSubjects) {
      const channel = document!
        .allChannels()
        .all()
        .find((c) => c.address() === subject);
      expect(
        channel
          ?.messages()
          .all()
          .map((m) => m.id()),
      ).toHaveLength(2);
    }
  });
});
