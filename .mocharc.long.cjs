// npm run test:long: the long end-to-end runs of test/long-tier.json (CI runs them after npm test).
const long = require('./test/long-tier.json');

module.exports = {
  spec: Object.keys(long.files).map((f) => `dist/test/${f}.test.js`),
  timeout: 60000,
  reporter: 'spec',
  parallel: true,
  jobs: 3,
};
