import { type DiagnosedNode, infoFields } from './DiagnosedNode.js';
import type { DiagnosisCheck } from './DiagnosisCheck.js';

/** Replicas lagging more than this many seconds are reported. */
const MAX_LAG_SECONDS = 10;

/**
 * The node's role and replicas (`INFO replication`): a replica refuses writes (`READONLY`), so pointing the
 * library at one fails; a master's replicas should be online and close behind, and replication is
 * asynchronous, so a mark acknowledged just before a failover can be lost.
 */
export async function checkReplication(node: DiagnosedNode): Promise<DiagnosisCheck> {
  let fields: Map<string, string>;
  try {
    fields = infoFields(await node.run('INFO', 'replication'));
  } catch (error) {
    return {
      name: 'replication',
      node: node.label,
      status: 'warn',
      message: `cannot read INFO replication (${(error as Error).message})`,
      fix: 'ACL SETUSER <user> +info, or ask the administrator whether this is the master',
    };
  }
  const role = fields.get('role');
  if (role === 'slave' || role === 'replica') {
    const master = `${fields.get('master_host') ?? '?'}:${fields.get('master_port') ?? '?'}`;
    return {
      name: 'replication',
      node: node.label,
      status: 'fail',
      message: `this is a read-only replica of ${master}: abort() fails with READONLY`,
      fix: `use the master's URL (redis://${master}), or connect through Sentinel`,
    };
  }
  const replicas = [...fields.entries()]
    .filter(([name]) => /^slave\d+$/.test(name))
    .map(([, value]) =>
      Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string])),
    );
  if (replicas.length === 0) {
    return {
      name: 'replication',
      node: node.label,
      status: 'pass',
      message: 'a master without replicas (if it fails, aborts fail until it is back)',
    };
  }
  const behind = replicas.filter(
    (replica) => replica.state !== 'online' || Number(replica.lag ?? 0) > MAX_LAG_SECONDS,
  );
  const list = replicas.map((r) => `${r.ip}:${r.port} ${r.state} lag ${r.lag ?? '?'} s`).join(', ');
  if (behind.length > 0) {
    return {
      name: 'replication',
      node: node.label,
      status: 'warn',
      message: `${behind.length} of ${replicas.length} replicas not online or over ${MAX_LAG_SECONDS} s behind (${list}): a failover now loses recent marks`,
      fix: 'check the replicas (INFO replication on each, master_link_status) and their network',
    };
  }
  return {
    name: 'replication',
    node: node.label,
    status: 'pass',
    message: `${replicas.length} replica(s) online (${list}); replication is asynchronous: a mark acknowledged just before a failover can be lost`,
  };
}
