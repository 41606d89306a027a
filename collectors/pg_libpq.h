/*
 * pg_libpq.h -- libpq, loaded when the first PostgreSQL target needs it.
 *
 * libpq brings OpenSSL and Kerberos with it, whose relocations alone cost
 * a few megabytes of resident memory in every process that maps them; an
 * agent that watches no PostgreSQL server should not pay that.  So libpq
 * is not linked: pg_libpq_load() dlopen()s it once (thread-safe) and fills
 * a table of its functions, and the macros below make the usual PQ* names
 * call through that table.  Include this instead of <libpq-fe.h>.
 */
#ifndef DBPULSE_PG_LIBPQ_H
#define DBPULSE_PG_LIBPQ_H

#include <libpq-fe.h>
#include <stddef.h>

struct pg_libpq {
	PGconn *(*PQconnectStartParams)(const char *const *keywords, const char *const *values, int expand_dbname);
	PostgresPollingStatusType (*PQconnectPoll)(PGconn *conn);
	ConnStatusType (*PQstatus)(const PGconn *conn);
	char *(*PQerrorMessage)(const PGconn *conn);
	void (*PQfinish)(PGconn *conn);
	int (*PQsetnonblocking)(PGconn *conn, int arg);
	int (*PQserverVersion)(const PGconn *conn);
	int (*PQsocket)(const PGconn *conn);
	char *(*PQdb)(const PGconn *conn);
	char *(*PQuser)(const PGconn *conn);
	int (*PQsendQuery)(PGconn *conn, const char *query);
	int (*PQsendQueryParams)(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat);
	int (*PQsendPrepare)(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes);
	int (*PQsendDescribePrepared)(PGconn *conn, const char *stmt);
	int (*PQnparams)(const PGresult *res);
	int (*PQbackendPID)(const PGconn *conn);
	int (*PQflush)(PGconn *conn);
	int (*PQisBusy)(PGconn *conn);
	int (*PQconsumeInput)(PGconn *conn);
	PGresult *(*PQgetResult)(PGconn *conn);
	void (*PQclear)(PGresult *res);
	ExecStatusType (*PQresultStatus)(const PGresult *res);
	char *(*PQresultErrorMessage)(const PGresult *res);
	int (*PQntuples)(const PGresult *res);
	int (*PQnfields)(const PGresult *res);
	char *(*PQfname)(const PGresult *res, int field_num);
	char *(*PQgetvalue)(const PGresult *res, int tup_num, int field_num);
	int (*PQgetisnull)(const PGresult *res, int tup_num, int field_num);
	PQconninfoOption *(*PQconninfoParse)(const char *conninfo, char **errmsg);
	void (*PQconninfoFree)(PQconninfoOption *connOptions);
	void (*PQfreemem)(void *ptr);
	PGresult *(*PQmakeEmptyPGresult)(PGconn *conn, ExecStatusType status);
	int (*PQsetResultAttrs)(PGresult *res, int numAttributes, PGresAttDesc *attDescs);
	int (*PQsetvalue)(PGresult *res, int tup_num, int field_num, char *value, int len);
	int (*PQsetSingleRowMode)(PGconn *conn);
	Oid (*PQftype)(const PGresult *res, int field_num);
	int (*PQgetlength)(const PGresult *res, int tup_num, int field_num);
	int (*PQgetCopyData)(PGconn *conn, char **buffer, int async);
	/* libpq 17 and later only: NULL when the loaded libpq has none */
	int (*PQsetChunkedRowsMode)(PGconn *conn, int chunkSize);
	/* libpq 14 and later only (pipeline mode): NULL when missing */
	int (*PQenterPipelineMode)(PGconn *conn);
	int (*PQexitPipelineMode)(PGconn *conn);
	int (*PQpipelineSync)(PGconn *conn);
	int (*PQsendFlushRequest)(PGconn *conn);
};

/* The table; valid once pg_libpq_load() returned 0. */
extern struct pg_libpq pg_libpq;

/* Loads libpq (once; later calls return the first outcome).  Returns 0, or
 * -1 with the reason in err. */
int pg_libpq_load(char *err, size_t errlen);

#ifndef DBPULSE_PG_LIBPQ_NO_MACROS
#define PQconnectStartParams (pg_libpq.PQconnectStartParams)
#define PQconnectPoll (pg_libpq.PQconnectPoll)
#define PQstatus (pg_libpq.PQstatus)
#define PQerrorMessage (pg_libpq.PQerrorMessage)
#define PQfinish (pg_libpq.PQfinish)
#define PQsetnonblocking (pg_libpq.PQsetnonblocking)
#define PQserverVersion (pg_libpq.PQserverVersion)
#define PQsocket (pg_libpq.PQsocket)
#define PQdb (pg_libpq.PQdb)
#define PQsendQuery (pg_libpq.PQsendQuery)
#define PQsendQueryParams (pg_libpq.PQsendQueryParams)
#define PQsendPrepare (pg_libpq.PQsendPrepare)
#define PQuser (pg_libpq.PQuser)
#define PQsendDescribePrepared (pg_libpq.PQsendDescribePrepared)
#define PQnparams (pg_libpq.PQnparams)
#define PQbackendPID (pg_libpq.PQbackendPID)
#define PQflush (pg_libpq.PQflush)
#define PQisBusy (pg_libpq.PQisBusy)
#define PQconsumeInput (pg_libpq.PQconsumeInput)
#define PQgetResult (pg_libpq.PQgetResult)
#define PQclear (pg_libpq.PQclear)
#define PQresultStatus (pg_libpq.PQresultStatus)
#define PQresultErrorMessage (pg_libpq.PQresultErrorMessage)
#define PQntuples (pg_libpq.PQntuples)
#define PQnfields (pg_libpq.PQnfields)
#define PQfname (pg_libpq.PQfname)
#define PQgetvalue (pg_libpq.PQgetvalue)
#define PQgetisnull (pg_libpq.PQgetisnull)
#define PQconninfoParse (pg_libpq.PQconninfoParse)
#define PQconninfoFree (pg_libpq.PQconninfoFree)
#define PQfreemem (pg_libpq.PQfreemem)
#define PQmakeEmptyPGresult (pg_libpq.PQmakeEmptyPGresult)
#define PQsetResultAttrs (pg_libpq.PQsetResultAttrs)
#define PQsetvalue (pg_libpq.PQsetvalue)
#define PQsetSingleRowMode (pg_libpq.PQsetSingleRowMode)
#define PQftype (pg_libpq.PQftype)
#define PQgetlength (pg_libpq.PQgetlength)
#define PQgetCopyData (pg_libpq.PQgetCopyData)
#endif

#endif
