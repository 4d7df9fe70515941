import { expect } from 'chai';
import { validateCandidateId, validateElectionName, electionResource } from '../../src/services/election.js';
import { idKey, instanceKey, servicePrefix } from '../../src/services/service-records.js';
import { DEFAULT_DEREGISTER_AFTER_MS, validateRegistration, validateServiceCheck } from '../../src/services/service-registration.js';
import { rejectsInvalid } from '../fixtures/invalid-argument.js';


const good = { id: 'payments-1', address: '127.0.0.1', port: 8080, ttlMs: 10_000 };

describe('service registry: registration rules', () => {
  it('accepts a plain registration (no check) and fills defaults', () => {
    const r = validateRegistration('payments', { ...good, tags: ['v2', 'v2', 'zone=a'] }, 'cli');
    expect(r).to.deep.equal({ service: 'payments', id: 'payments-1', address: '127.0.0.1', port: 8080, tags: ['v2', 'zone=a'], ttlMs: 10_000, check: null, by: 'cli' });
  });

  it('http and tcp checks get Consul-like defaults; deregister-after needs a check', () => {
    const http = validateServiceCheck({ http: 'http://127.0.0.1:8080/health' }, 'p1', undefined);
    expect(http).to.deep.equal({ kind: 'http', target: 'http://127.0.0.1:8080/health', intervalMs: 10_000, timeoutMs: 2000, deregisterAfterMs: DEFAULT_DEREGISTER_AFTER_MS });
    expect(validateServiceCheck({ tcp: 'localhost:5432', intervalMs: 1000 }, 'p1', 5000)).to.deep.equal({ kind: 'tcp', target: 'localhost:5432', intervalMs: 1000, timeoutMs: 500, deregisterAfterMs: 5000 });
    rejectsInvalid(() => validateServiceCheck(undefined, 'p1', 5000), /deregister-after needs a check/);
  });

  it('refuses bad input with a message naming the problem', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ port: 70000 }, /port 70000 is out of range: use a whole number from 1 to 65535/],
      [{ port: 0 }, /port 0 is out of range/],
      [{ port: 80.5 }, /out of range/],
      [{ id: 'bad id' }, /instance id "bad id" is invalid/],
      [{ id: undefined }, /instance id/],
      [{ address: '' }, /address "" is invalid/],
      [{ address: 'http://x' }, /address .* is invalid/],
      [{ ttlMs: 0 }, /ttl 0 ms is out of range/],
      [{ ttlMs: -5 }, /out of range/],
      [{ ttlMs: 8 * 86_400_000 }, /out of range: use 1s to 7d/],
      [{ tags: ['ok', 'no spaces'] }, /tag "no spaces" is invalid/],
      [{ check: { http: 'not a url' } }, /is not a URL/],
      [{ check: { http: 'ftp://x/y' } }, /must be http or https/],
      [{ check: { tcp: 'host' } }, /must be host:port/],
      [{ check: { command: 'rm -rf /' } }, /service checks are http or tcp/],
      [{ check: { http: 'http://x/', intervalMs: 1000, timeoutMs: 1000 } }, /must be shorter than the interval/],
      [{ check: { http: 'http://x/' }, deregisterAfterMs: 10 }, /deregister-after 10 ms is out of range/],
    ];
    for (const [patch, pattern] of cases) rejectsInvalid(() => validateRegistration('payments', { ...good, ...patch }, 'cli'), pattern);
    rejectsInvalid(() => validateRegistration('pay/ments', good, 'cli'), /service name "pay\/ments" is invalid/);
  });

  it('keys: an id is unique across services; one service\'s prefix does not cover another\'s', () => {
    expect(instanceKey('pay', 'p1')).to.equal('/ccm/services/pay/p1');
    expect(idKey('p1')).to.equal('/ccm/service-ids/p1');
    expect(instanceKey('payments', 'p1').startsWith(servicePrefix('pay'))).to.equal(false);
  });
});

describe('election: names and candidates', () => {
  it('an election is a lease-manager resource; names and ids are validated', () => {
    expect(electionResource(validateElectionName('scheduler'))).to.equal('election:scheduler');
    expect(validateCandidateId('worker-1@host:42')).to.equal('worker-1@host:42');
    rejectsInvalid(() => validateElectionName('a/b'), /election name "a\/b" is invalid/);
    rejectsInvalid(() => validateElectionName(''), /election name/);
    rejectsInvalid(() => validateCandidateId('has space'), /candidate id/);
  });
});
