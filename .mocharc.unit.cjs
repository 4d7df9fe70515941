// npm run test:unit: the deterministic tier, as test/unit-tier.json defines it (one test process, no parallel workers).
const tier = require('./test/unit-tier.json');

module.exports = {
  spec: tier.folders.map((f) => `dist/test/${f}/**/*.test.js`),
  ignore: Object.keys(tier.excluded).map((f) => `dist/test/${f}.test.js`),
  timeout: 60000,
  reporter: 'dot',
};
