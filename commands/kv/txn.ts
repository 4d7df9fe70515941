import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { CcmCommand } from '../../src/cli/ccm-command.js';
import { paint } from '../../src/cli/colour.js';
import { REQUEST_TIMEOUT_FLAG, requestTimeoutMs } from '../../src/cli/duration-flag.js';
import { describeTxnResult, parseCompare, parseTxnFile, parseTxnOp, type TxnRequest } from '../../src/cli/txn-format.js';
import { CcmError } from '../../src/errors/ccm-error.js';
import type { KvTxnResult } from '../../src/api/api-types.js';
import { clientForCluster } from '../../src/cluster/cluster-client.js';

export default class KvTxn extends CcmCommand<typeof KvTxn> {
  static override summary = 'A transaction: if every compare holds, run the --then operations, else the --else ones; atomically, in one revision.';
  static override description =
    'As etcdctl txn. Compares: value("/k") = "v", mod("/k") > 7, create("/k") = 0 (absent), version("/k") != 3, lease("/k") = 42. ' +
    'Operations: put <key> <value> [--lease id], get <key> [--prefix], del <key> [--prefix]. Quote a word with spaces in double quotes. ' +
    'Give them as flags, or in a file (--file, or - for stdin) laid out as etcdctl reads them: the compares, a blank line, the operations if all ' +
    'hold, a blank line, the operations if one fails; or as JSON {"compare":[…],"success":[…],"failure":[…]}. Prints SUCCESS or FAILURE and ' +
    'each operation\'s result; exits 0 either way (the compare deciding is not an error).';
  static override examples = [
    `<%= config.bin %> kv txn --compare 'value("/app/color") = "blue"' --then 'put /app/color red' --else 'get /app/color'`,
    `<%= config.bin %> kv txn --compare 'create("/lock") = 0' --then 'put /lock me'`,
    '<%= config.bin %> kv txn --file swap.txn',
    `printf 'mod("/k") > 0\\n\\nput /k v2\\n\\nput /k v1\\n' | <%= config.bin %> kv txn --file -`,
  ];
  static override flags = {
    compare: Flags.string({ summary: 'A condition, e.g. \'value("/k") = "v"\' or \'mod("/k") > 7\'; repeatable, all must hold.', multiple: true }),
    then: Flags.string({ summary: 'An operation run if every compare holds: put <k> <v>, get <k> [--prefix], del <k> [--prefix]; repeatable.', multiple: true }),
    else: Flags.string({ summary: 'An operation run if a compare fails; repeatable.', multiple: true }),
    file: Flags.string({ summary: 'Read the txn from this file (- for stdin): etcdctl\'s layout or JSON. Not with --compare/--then/--else.' }),
    timeout: Flags.string(REQUEST_TIMEOUT_FLAG),
  };

  async run(): Promise<KvTxnResult> {
    const timeoutMs = requestTimeoutMs(this.flags.timeout);
    const request = this.request();
    const { client } = clientForCluster(this.clusterPaths(), { timeoutMs });
    const result = await client.txn(request.compare, request.success, request.failure);
    const ops = result.succeeded ? request.success : request.failure;
    this.log(`${result.succeeded ? paint('SUCCESS', 'good') : paint('FAILURE', 'warn')} (revision ${result.revision})`);
    result.results.forEach((r, i) => this.log(describeTxnResult(ops[i], r)));
    return result;
  }

  private request(): TxnRequest {
    const fromFlags = (this.flags.compare?.length ?? 0) + (this.flags.then?.length ?? 0) + (this.flags.else?.length ?? 0) > 0;
    if (this.flags.file !== undefined && fromFlags) throw new CcmError('invalid_argument', 'give the txn either in --file or as --compare/--then/--else, not both');
    let request: TxnRequest;
    if (this.flags.file !== undefined) {
      let text: string;
      try {
        text = fs.readFileSync(this.flags.file === '-' ? 0 : this.flags.file, 'utf8');
      } catch (err) {
        throw new CcmError('invalid_argument', `cannot read ${this.flags.file}: ${(err as Error).message}`);
      }
      request = parseTxnFile(text);
    } else {
      request = {
        compare: (this.flags.compare ?? []).map(parseCompare),
        success: (this.flags.then ?? []).map(parseTxnOp),
        failure: (this.flags.else ?? []).map(parseTxnOp),
      };
    }
    if (request.success.length + request.failure.length === 0) {
      throw new CcmError('invalid_argument', 'the txn has no operation: give --then (and --else) operations, or a --file');
    }
    return request;
  }
}
