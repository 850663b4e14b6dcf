// Peer runner for benchmarks/text_bench.py and benchmarks/text_differential.py:
// the official twitter-text (npm) on the same inputs. Usage:
//   node twitter_text_peer.js MODULE_DIR bench INPUT.json SECONDS
//   node twitter_text_peer.js MODULE_DIR diff INPUT.json
// INPUT.json is a JSON array of strings. Indices in "diff" output are UTF-16, as JS reports.
'use strict';
const fs = require('fs');
const path = require('path');
const [moduleDir, mode, input, seconds] = process.argv.slice(2);
const tt = require(path.join(moduleDir, 'node_modules', 'twitter-text'));
const texts = JSON.parse(fs.readFileSync(input, 'utf8'));

if (mode === 'bench') {
  const budget = Number(seconds) * 1e9;
  // warm up
  for (let i = 0; i < Math.min(texts.length, 2000); i++) tt.parseTweet(texts[i]);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let elapsed = 0;
  do {
    for (let i = 0; i < texts.length; i++) tt.parseTweet(texts[i]);
    n += texts.length;
    elapsed = Number(process.hrtime.bigint() - t0);
  } while (elapsed < budget);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(JSON.stringify({ calls: n, seconds: elapsed / 1e9, cpu_seconds: cpuSeconds }) + '\n');
} else if (mode === 'each') {
  // seconds per text, for the adversarial (scaling) inputs
  const out = texts.map((t) => {
    const t0 = process.hrtime.bigint();
    tt.parseTweet(t);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  });
  process.stdout.write(JSON.stringify(out));
} else {
  const out = texts.map((t) => {
    const p = tt.parseTweet(t);
    const p2 = tt.parseTweet(t, tt.configs.version2);
    return {
      parse: [p.weightedLength, p.valid, p.permillage, p.validRangeEnd, p.displayRangeEnd],
      parse2: [p2.weightedLength, p2.valid, p2.permillage, p2.validRangeEnd],
      urls: tt.extractUrlsWithIndices(t).map((u) => [u.url, u.indices[0], u.indices[1]]),
      mentions: tt.extractMentionsOrListsWithIndices(t).map((m) => [m.screenName, m.listSlug, m.indices[0], m.indices[1]]),
      hashtags: tt.extractHashtagsWithIndices(t).map((h) => [h.hashtag, h.indices[0], h.indices[1]]),
      cashtags: tt.extractCashtagsWithIndices(t).map((c) => [c.cashtag, c.indices[0], c.indices[1]]),
      reply: tt.extractReplies(t),
      autolink: tt.autoLink(t),
      entities: tt.extractEntitiesWithIndices(t).map((e) => [
        e.url !== undefined ? 'url' : e.hashtag !== undefined ? 'hashtag' : e.cashtag !== undefined ? 'cashtag' : 'mention',
        e.url || e.hashtag || e.cashtag || e.screenName + (e.listSlug || ''),
        e.indices[0],
        e.indices[1],
      ]),
    };
  });
  process.stdout.write(JSON.stringify(out));
}
