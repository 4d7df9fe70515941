// npm test: every test file but the long tier (test/long-tier.json: npm run test:long, which CI also runs), three at a time.
const long = require('./test/long-tier.json');

module.exports = {
  spec: ['dist/test/**/*.test.js'],
  ignore: Object.keys(long.files).map((f) => `dist/test/${f}.test.js`),
  timeout: 60000,
  reporter: 'spec',
  parallel: true,
  jobs: 3,
};
