// Item 5 on Redis Cluster: with `replicas: 1`, each slot group's write is followed by WAIT on that group's
// master (in the same pipeline), so abort() resolves only when every group's replica holds its marks, and
// rejects with ReplicationTimeoutError when one group's replica does not confirm.
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abortable, RedisBackend, ReplicationTimeoutError } from '../../../src/index.js';
import { type RedisClusterHandle, startRedisCluster } from '../../support/redisCluster.js';

describe('RedisBackend on Cluster with replicas: 1', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1, args: ['--notify-keyspace-events', 'K$'] });
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('confirms every slot group on its own master, and names the shortfall when a replica is gone', async () => {
    const prefix = 'cr:';
    // What must be confirmed gets a generous replicaTimeout (a busy machine acknowledges late); what must
    // time out (its replica is gone) a short one, on a second backend.
    const backend = new RedisBackend({
      client: cluster.client(),
      prefix,
      replicas: 1,
      replicaTimeout: 5000,
    });
    const abortable = new Abortable({ backend });
    const impatient = new Abortable({
      backend: new RedisBackend({
        client: cluster.client(),
        prefix,
        replicas: 1,
        replicaTimeout: 300,
        commandTimeout: 3000,
      }),
    });
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    await abortable.abort(ids);
    await abortable.abort('single');
    for (const id of ids) expect(await abortable.aborted(id)).toMatchObject({ id });

    // Stop the replica of the master owning one id's slot: only aborts touching that slot fail.
    const slot = calculateSlot(`${prefix}id-0`);
    const master = await cluster.masterOf(slot);
    const admin = master.client();
    const info = await admin.info('replication');
    const replicaPort = Number(/slave0:ip=[^,]+,port=(\d+)/.exec(info)?.[1]);
    const replica = cluster.nodes.find((node) => node.port === replicaPort);
    if (replica === undefined) throw new Error('no replica found');
    await replica.kill();
    const error = await impatient.abort(ids).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationTimeoutError);
    expect(error).toMatchObject({ replicas: 1, acknowledged: 0 });
    // An id whose slot another master owns is still confirmed: WAIT went to each group's own master.
    let other: string | undefined;
    for (const id of ids) {
      if ((await cluster.masterOf(calculateSlot(`${prefix}${id}`))).port !== master.port) other = id;
    }
    if (other === undefined) throw new Error('every id on one master');
    await abortable.abort(other);
    await expect(impatient.abort('id-0')).rejects.toBeInstanceOf(ReplicationTimeoutError);
    await abortable.close();
    await impatient.close();
  }, 60_000);
});
