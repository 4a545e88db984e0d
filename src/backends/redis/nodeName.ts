/**
 * `host:port` of a node, for messages (warnings and errors name the server they are about).
 * @param node - an ioredis client or a cluster node (`options.host`, `options.port`).
 * @returns e.g. `10.0.0.5:6379`; `localhost` and `6379` stand in for what the options leave out.
 */
export const nodeName = (node: { readonly options?: { host?: string; port?: number } }): string =>
  `${node.options?.host ?? 'localhost'}:${node.options?.port ?? 6379}`;
