import { expect } from 'chai';
import { PeerDetectors } from '../../src/detector/peer-detectors.js';
import { PhiAccrualDetector } from '../../src/detector/phi-accrual.js';
import { TimeoutDetector } from '../../src/detector/timeout-detector.js';

describe('timeout detector', () => {
  it('is available until the timeout passes without a heartbeat; its level is elapsed / timeout', () => {
    const d = new TimeoutDetector(1000);
    expect(d.phi(5000)).to.equal(0);
    d.heartbeat(100);
    expect(d.phi(600)).to.equal(0.5);
    expect(d.isAvailable(1099)).to.equal(true);
    expect(d.isAvailable(1100)).to.equal(false);
    d.heartbeat(1200);
    expect(d.isAvailable(1300)).to.equal(true);
    d.heartbeat(50);
    expect(d.lastHeartbeatMs()).to.equal(1200);
    expect(d.isAvailable(2500, 2)).to.equal(true);
  });

  it('rejects a non-positive timeout', () => {
    expect(() => new TimeoutDetector(0)).to.throw(/timeoutMs must be a number > 0/);
  });
});

describe('per-peer detectors', () => {
  it('makes a detector per peer on first heartbeat and reads them all, sorted', () => {
    const peers = new PeerDetectors(() => new TimeoutDetector(1000));
    peers.heartbeat('n2', 0);
    peers.heartbeat('n1', 500);
    expect(peers.readings(1200).map((r) => [r.peer, r.phi, r.isAvailable])).to.deep.equal([
      ['n1', 0.7, true],
      ['n2', 1.2, false],
    ]);
    expect(peers.phi('n9', 1200)).to.equal(0);
    expect(peers.isAvailable('n9', 1200)).to.equal(true);
    peers.remove('n2');
    expect(peers.size).to.equal(1);
  });

  it('is bounded: the peer silent the longest is forgotten first', () => {
    const peers = new PeerDetectors(() => new PhiAccrualDetector(), 2);
    peers.heartbeat('a', 10);
    peers.heartbeat('b', 20);
    peers.heartbeat('a', 30);
    peers.heartbeat('c', 40);
    expect(peers.readings(50).map((r) => r.peer)).to.deep.equal(['a', 'c']);
  });
});
