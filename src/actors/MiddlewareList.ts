import type { BrokerMiddleware } from './Broker.js';

/** The middleware of a broker, in the order added (shared by the brokers). */
export class MiddlewareList {
  readonly #list: BrokerMiddleware[] = [];

  get list(): readonly BrokerMiddleware[] {
    return [...this.#list];
  }

  add(middleware: BrokerMiddleware): void {
    if (middleware === null || typeof middleware !== 'object') {
      throw new TypeError('middleware must be an Abortable or a Middleware object');
    }
    if (!this.#list.includes(middleware)) this.#list.push(middleware);
  }

  get<T extends object>(type: abstract new (...args: never[]) => T): T | undefined {
    if (typeof type !== 'function') throw new TypeError('type must be a class, e.g. Abortable');
    return this.#list.find((middleware): middleware is BrokerMiddleware & T => middleware instanceof type);
  }
}
