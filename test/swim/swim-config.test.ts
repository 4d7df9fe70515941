import { expect } from 'chai';
import { CcmError } from '../../src/errors/ccm-error.js';
import { baseConfig, lanConfig, localConfig, validateSwimConfig, wanConfig, type SwimConfig } from '../../src/swim/swim-config.js';

describe('swim config', () => {
  it('lanConfig is memberlist DefaultLANConfig', () => {
    const c = lanConfig();
    expect(c).to.include({
      probeIntervalMs: 1000,
      probeTimeoutMs: 500,
      indirectChecks: 3,
      suspicionMult: 4,
      suspicionMaxTimeoutMult: 6,
      retransmitMult: 4,
      gossipIntervalMs: 200,
      gossipNodes: 3,
      gossipToTheDeadMs: 30_000,
      pushPullIntervalMs: 30_000,
      awarenessMaxMultiplier: 8,
      maxPacketBytes: 1400,
      maxMetaBytes: 512,
    });
  });

  it('localConfig is for a loopback cluster: probe 200 ms / 100 ms, gossip 100 ms to 3, suspicion mult 3, push-pull 15 s', () => {
    const c = localConfig();
    expect(c).to.include({ probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 100, gossipNodes: 3, suspicionMult: 3, pushPullIntervalMs: 15_000 });
    expect(c.retransmitMult).to.be.within(2, 4);
  });

  it('every preset passes validation and differs from the base in few fields', () => {
    for (const preset of [baseConfig, lanConfig, localConfig, wanConfig]) {
      const c = preset();
      expect(validateSwimConfig(c)).to.equal(c);
      const changed = (Object.keys(c) as (keyof SwimConfig)[]).filter((k) => c[k] !== baseConfig()[k]);
      expect(changed.length).to.be.at.most(8);
    }
  });

  const rejects = (patch: Partial<SwimConfig>, pattern: RegExp): void => {
    let error: unknown;
    try {
      validateSwimConfig({ ...lanConfig(), ...patch });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CcmError);
    expect((error as CcmError).code).to.equal('invalid_argument');
    expect((error as CcmError).message).to.match(pattern);
  };

  it('validation names the field and its legal range', () => {
    rejects({ probeIntervalMs: 0 }, /probeIntervalMs must be a number in \[1, 3600000\] \(got 0\)/);
    rejects({ indirectChecks: 1.5 }, /indirectChecks must be an integer in \[0, 32\]/);
    rejects({ gossipNodes: -1 }, /gossipNodes must be an integer in \[0, 64\]/);
    rejects({ maxPacketBytes: 100 }, /maxPacketBytes must be an integer in \[256, 65507\]/);
    rejects({ suspicionMult: Number.NaN }, /suspicionMult/);
  });

  it('validation rejects a probe timeout that leaves indirect probes no time, and a meta that cannot fit a packet', () => {
    rejects({ probeTimeoutMs: 1000 }, /probeTimeoutMs must be in \[1, probeIntervalMs\)/);
    rejects({ maxMetaBytes: 1300 }, /maxMetaBytes must be in \[32, maxPacketBytes − 200\]/);
  });
});
