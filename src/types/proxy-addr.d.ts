/** Minimal typing of `proxy-addr` (Express's client-address resolver), which ships none. */
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';
  function proxyaddr(req: IncomingMessage, trust: (address: string, index: number) => boolean): string;
  export = proxyaddr;
}
