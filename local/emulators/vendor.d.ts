// Types for the untyped emulator packages, covering only what the harness calls.

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** ms a stream stays CREATING (default 500). */
    createStreamMs?: number;
    /** ms a stream stays DELETING (default 500). */
    deleteStreamMs?: number;
    /** ms a stream stays UPDATING after a split or merge (default 500). */
    updateStreamMs?: number;
    /** Total open shards allowed across streams (default 10). */
    shardLimit?: number;
    /** LevelDB directory; in memory when omitted. */
    path?: string;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** ms a table stays CREATING (default 500). */
    createTableMs?: number;
    /** ms a table stays DELETING (default 500). */
    deleteTableMs?: number;
    /** ms a table stays UPDATING (default 500). */
    updateTableMs?: number;
    /** Maximum item size in KB (default 400). */
    maxItemSizeKb?: number;
    /** LevelDB directory; in memory when omitted. */
    path?: string;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
