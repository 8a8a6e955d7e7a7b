/*
 * conf_directives.h - the one table of mta.conf(5) directives.
 *
 * CONF_DIRECTIVE(id, name, type, scopes, default, implemented, values)
 *
 * Included twice: by conf.h to make enum conf_id, by conf_table.c to make
 * conf_defs[].  A directive whose "implemented" is false is accepted and
 * checked, and the checker warns once that it has no effect yet.  The
 * man page mta.conf(5) lists the same rows; keep them in step.
 *
 * Every directive of PowerMTA's User's Guide that stands in the global
 * scope or in a block we parse has a row, so an operator's existing file
 * loads; such rows take the guide's default where it parses with their
 * type.  A name may have a second row for other scopes ("type" in <domain>
 * and in <domain-key>): the parser takes the row whose scopes hold the
 * block.
 */

#define G	CONF_S_GLOBAL
#define D	CONF_S_DOMAIN
#define V	CONF_S_VMTA
#define P	CONF_S_POOL
#define S	CONF_S_SOURCE
#define A	CONF_S_ACCT
#define L	CONF_S_LISTENER
#define Q	CONF_S_SPOOL
#define SPL	CONF_S_SMTP_PATTERNS
#define PL	CONF_S_PATTERNS
#define MXR	CONF_S_ROLLUP
#define BCP	CONF_S_BOUNCE_CAT
#define U	CONF_S_SMTP_USER
#define AC	CONF_S_ACCEPT
#define DK	CONF_S_DKIM
#define DKB	CONF_S_DOMAIN_KEY
#define DKL	CONF_S_DKEY_LIST
#define BA	CONF_S_BOUNCE_ACTION
#define H	CONF_S_HTTP
#define SS	CONF_S_SMTP_SERVER
#define AL	CONF_S_ADDRESS_LIST
#define SP	CONF_S_SOURCE_POOL

/* The file itself. */
CONF_DIRECTIVE(CONF_INCLUDE, "include", CONF_T_INCLUDE, G | S | D | V | SPL,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_DOMAIN_MACRO, "domain-macro", CONF_T_MACRO, G, NULL,
    true, NULL)

/* Identity and paths. */
CONF_DIRECTIVE(CONF_HOST_NAME, "host-name", CONF_T_HOST, G | V, NULL, true, NULL)
CONF_DIRECTIVE(CONF_POSTMASTER, "postmaster", CONF_T_EMAIL, G | V, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_SPOOL, "spool", CONF_T_PATH, G, MTA_SPOOLDIR, true,
    NULL)
CONF_DIRECTIVE(CONF_DELIVERY_QUEUE, "delivery-queue", CONF_T_PATH, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SPOOL_MIN_FREE_SPACE, "spool-min-free-space",
    CONF_T_SIZE, G | Q, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SPOOL_MAX_RECIPIENTS, "spool-max-recipients",
    CONF_T_INT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SPOOL_DELETE_CORRUPTED, "spool-delete-corrupted",
    CONF_T_BOOL, G | Q, "no", false, NULL)
CONF_DIRECTIVE(CONF_PID_FILE, "pid-file", CONF_T_PATH, G, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_RUN_AS_ROOT, "run-as-root", CONF_T_BOOL, G, "no",
    true, NULL)
CONF_DIRECTIVE(CONF_NAME_SERVER, "name-server", CONF_T_WORDS, G, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_DOMAIN_SUFFIX, "domain-suffix", CONF_T_HOST, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HOST_ID, "host-id", CONF_T_STRING, G, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_THREAD_MIN_PRIORITY, "thread-min-priority", CONF_T_INT, G,
    "15", false, NULL)
CONF_DIRECTIVE(CONF_THREAD_MAX_PRIORITY, "thread-max-priority", CONF_T_INT, G,
    "0", false, NULL)
CONF_DIRECTIVE(CONF_THREAD_REUSE, "thread-reuse", CONF_T_BOOL, G, "yes",
    false, NULL)
CONF_DIRECTIVE(CONF_MAILMERGE_EXPANDS_UNDEFINED_VARIABLES,
    "mailmerge-expands-undefined-variables", CONF_T_BOOL, G, "yes", false,
    NULL)

/* Injection and SMTP service. */
CONF_DIRECTIVE(CONF_SMTP_LISTENER, "smtp-listener", CONF_T_LISTENER, G,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_SMTP_PORT, "smtp-port", CONF_T_INT, G | V | D, "25",
    false, NULL)
CONF_DIRECTIVE(CONF_MAX_SMTP_IN, "max-smtp-in", CONF_T_INT, G | S | SS,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_TOTAL_MAX_SMTP_IN, "total-max-smtp-in", CONF_T_INT, G,
    "100", true, NULL)
CONF_DIRECTIVE(CONF_MAX_MESSAGE_SIZE, "max-message-size", CONF_T_SIZE,
    G | S | D, "0", true, NULL)
CONF_DIRECTIVE(CONF_IMMEDIATE_TLS, "immediate-tls", CONF_T_BOOL, L, "no",
    true, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CERTIFICATE,
    "smtp-server-tls-certificate", CONF_T_TEXT, G | L, NULL, true, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CA_FILE, "smtp-server-tls-ca-file",
    CONF_T_PATH, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CIPHERS, "smtp-server-tls-ciphers",
    CONF_T_TEXT, G, "HIGH:!ADH:@STRENGTH", true, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_THREADS, "smtp-server-threads", CONF_T_INT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ALWAYS_ALLOW_RELAYING, "always-allow-relaying",
    CONF_T_BOOL, S, "no", true, NULL)
CONF_DIRECTIVE(CONF_RELAY, "relay", CONF_T_BOOL, S, NULL, true, NULL)
CONF_DIRECTIVE(CONF_RELAY_DOMAIN, "relay-domain", CONF_T_WORDS, G, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_RELAY_ADDRESS, "relay-address", CONF_T_WORDS, G, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVICE, "smtp-service", CONF_T_BOOL, S, "yes",
    true, NULL)
CONF_DIRECTIVE(CONF_REQUIRE_AUTH, "require-auth", CONF_T_BOOL, S | AC,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_ALLOW_SUBMISSION, "allow-submission", CONF_T_BOOL, AC,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_AUTH_PLAIN, "auth-plain", CONF_T_PATH, AC | SS, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_ALLOW_UNENCRYPTED_PLAIN, "allow-unencrypted-plain",
    CONF_T_BOOL, S | SS, "no", true, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_VIRTUAL_MTA, "process-x-virtual-mta",
    CONF_T_BOOL, S, "no", true, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_JOB, "process-x-job", CONF_T_BOOL, S, "no", true, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_ENVID, "process-x-envid", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_REMOTE_MTA_IP, "process-x-remote-mta-ip",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_DEFAULT_VIRTUAL_MTA, "default-virtual-mta", CONF_T_NAME,
    S, NULL, true, NULL)
CONF_DIRECTIVE(CONF_ADD_RECEIVED_HEADER, "add-received-header", CONF_T_BOOL,
    S, "yes", true, NULL)
CONF_DIRECTIVE(CONF_HIDE_MESSAGE_SOURCE, "hide-message-source", CONF_T_BOOL,
    S, "no", true, NULL)
CONF_DIRECTIVE(CONF_ADD_MESSAGE_ID_HEADER, "add-message-id-header",
    CONF_T_BOOL, S, "yes", true, NULL)
CONF_DIRECTIVE(CONF_ADD_DATE_HEADER, "add-date-header", CONF_T_ENUM, S,
    "yes", true, "no|yes|override")
CONF_DIRECTIVE(CONF_SUPPRESSION_LISTS, "suppression-lists", CONF_T_WORDS,
    S, NULL, true, NULL)
CONF_DIRECTIVE(CONF_ALWAYS_USE_MX, "always-use-mx", CONF_T_BOOL, S, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_LOG_CONNECTIONS, "log-connections", CONF_T_BOOL,
    S | D, "no", false, NULL)
CONF_DIRECTIVE(CONF_RANDOM_IP, "random-ip", CONF_T_BOOL, SP, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_USER_SOURCE, "source", CONF_T_NAME, U | L, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_PASSWORD, "password", CONF_T_STRING, U, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_AUTHENTICATION_METHOD, "authentication-method",
    CONF_T_ENUM, U, "password", true, "password|system|certificate")
CONF_DIRECTIVE(CONF_TLS_CERTIFICATE, "tls-certificate", CONF_T_TEXT, U | L,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_IP, "smtp-ip", CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_AWAIT_SLOT, "smtp-await-slot", CONF_T_BOOL, G, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_ALLOW_SSLV3,
    "smtp-server-tls-allow-sslv3", CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_ALLOW_TLSV1,
    "smtp-server-tls-allow-tlsv1", CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_ALLOW_TLSV1_1,
    "smtp-server-tls-allow-tlsv1.1", CONF_T_BOOL, G, "yes", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_ALLOW_TLSV1_2,
    "smtp-server-tls-allow-tlsv1.2", CONF_T_BOOL, G, "yes", false, NULL)
CONF_DIRECTIVE(CONF_RELAY_DEBUG, "relay-debug", CONF_T_BOOL, G, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_ALIAS, "alias", CONF_T_TEXT, G, NULL, false, NULL)

/* Per-listener settings (<smtp-listener>). */
CONF_DIRECTIVE(CONF_AWAIT_SLOT, "await-slot", CONF_T_BOOL, L, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_TLS_ALLOW_SSLV3, "tls-allow-sslv3", CONF_T_BOOL, L, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_TLS_ALLOW_TLSV1, "tls-allow-tlsv1", CONF_T_BOOL, L, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_TLS_ALLOW_TLSV1_1, "tls-allow-tlsv1.1", CONF_T_BOOL, L,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_TLS_ALLOW_TLSV1_2, "tls-allow-tlsv1.2", CONF_T_BOOL, L,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_TLS_CIPHERS, "tls-ciphers", CONF_T_TEXT, L,
    "HIGH:!ADH:@STRENGTH", false, NULL)
CONF_DIRECTIVE(CONF_TLS_CA_FILE, "tls-ca-file", CONF_T_PATH, L, NULL, false,
    NULL)

/* Per-source settings (<source>): the SMTP session. */
CONF_DIRECTIVE(CONF_ALLOW_AUTH, "allow-auth", CONF_T_BOOL, S, "yes", true,
    NULL)
CONF_DIRECTIVE(CONF_SMTP_MAX_AUTH_FAILURE_RATE, "smtp-max-auth-failure-rate",
    CONF_T_RATE, S, "unlimited", true, NULL)
CONF_DIRECTIVE(CONF_ALLOW_UNENCRYPTED_PLAIN_AUTH,
    "allow-unencrypted-plain-auth", CONF_T_BOOL, S, "no", true, NULL)
CONF_DIRECTIVE(CONF_ALLOW_STARTTLS, "allow-starttls", CONF_T_BOOL, S, "no",
    true, NULL)
CONF_DIRECTIVE(CONF_REQUIRE_STARTTLS_BEFORE_AUTH,
    "require-starttls-before-auth", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_BROKEN_AUTH_CLIENTS, "broken-auth-clients", CONF_T_TEXT,
    S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_MAILMERGE, "allow-mailmerge", CONF_T_BOOL, S, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_ALWAYS_ALLOW_API_SUBMISSION,
    "always-allow-api-submission", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_CHUNKING, "allow-chunking", CONF_T_BOOL, S, "yes",
    true, NULL)
CONF_DIRECTIVE(CONF_ALLOW_SMTPUTF8, "allow-smtputf8", CONF_T_BOOL, S, "yes",
    true, NULL)
CONF_DIRECTIVE(CONF_SMTP_DATA_TIMEOUT, "smtp-data-timeout", CONF_T_INTERVAL,
    S, "10m", true, NULL)
CONF_DIRECTIVE(CONF_SMTP_COMMAND_TIMEOUT, "smtp-command-timeout",
    CONF_T_INTERVAL, S, "10m", true, NULL)
CONF_DIRECTIVE(CONF_DISCONNECT_ON_TRANSIENT_ERROR,
    "disconnect-on-transient-error", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_ACCEPT_INVALID_RECIPIENTS, "accept-invalid-recipients",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_AUTO_QUALIFY_DOMAIN, "auto-qualify-domain", CONF_T_BOOL,
    S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_MAX_MESSAGE_HOPS, "max-message-hops", CONF_T_INT, S,
    "100", false, NULL)
CONF_DIRECTIVE(CONF_MAX_RCPT_PER_MESSAGE, "max-rcpt-per-message", CONF_T_TEXT,
    S | D, "0", true, NULL)
CONF_DIRECTIVE(CONF_TOO_MANY_RCPTS_FAILS_MESSAGE,
    "too-many-rcpts-fails-message", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_GROUP, "source-group", CONF_T_NAME, S, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_LOG_TLS, "log-tls", CONF_T_BOOL, S | D, "no", false, NULL)
CONF_DIRECTIVE(CONF_LOG_DATA, "log-data", CONF_T_BOOL, S | D, "no", false,
    NULL)

/* Per-source settings (<source>): the message. */
CONF_DIRECTIVE(CONF_DATE_HEADER_TIME, "date-header-time", CONF_T_ENUM, S,
    "reception", false, "reception|delivery")
CONF_DIRECTIVE(CONF_BCC, "bcc", CONF_T_EMAIL, S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_REMOVE_HEADER, "remove-header", CONF_T_WORDS, S | D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_VERP_DEFAULT, "verp-default", CONF_T_BOOL, S, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_SUPPRESS_LOCAL_DSN, "suppress-local-dsn", CONF_T_BOOL, S,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_DSN_RETURN_DEFAULT, "dsn-return-default", CONF_T_ENUM, S,
    "system", true, "headers|full|system")
CONF_DIRECTIVE(CONF_REJECT_INVALID_VIRTUAL_MTA, "reject-invalid-virtual-mta",
    CONF_T_BOOL, S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_EMPTY_X_VIRTUAL_MTA, "allow-empty-x-virtual-mta",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_RETAIN_X_VIRTUAL_MTA, "retain-x-virtual-mta", CONF_T_BOOL,
    S, "no", false, NULL)
CONF_DIRECTIVE(CONF_ADD_X_VIRTUAL_MTA_HEADER, "add-x-virtual-mta-header",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_PATTERN_LIST, "pattern-list", CONF_T_NAME, S, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_JOBID_PREFIX, "jobid-prefix", CONF_T_STRING, S, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_JOBID_HEADER, "jobid-header", CONF_T_STRING, S, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_RETAIN_X_JOB, "retain-x-job", CONF_T_BOOL, S, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_SCHEDULE, "process-x-schedule", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_RETAIN_X_SCHEDULE, "retain-x-schedule", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_DKIM_OPTIONS, "process-x-dkim-options",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_RETAIN_X_DKIM_OPTIONS, "retain-x-dkim-options",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_DKIM_KEY, "process-x-dkim-key", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_RETAIN_X_DKIM_KEY, "retain-x-dkim-key", CONF_T_BOOL, S,
    "no", false, NULL)

/* Per-source settings (<source>): SPF, DKIM and iprev checks. */
CONF_DIRECTIVE(CONF_CHECK_SPF_INBOUND, "check-spf-inbound", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_CHECK_SPF_INBOUND_BEST_GUESS,
    "check-spf-inbound-best-guess", CONF_T_TEXT, S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_CHECK_SPF_INBOUND_MAX_VOID_LOOKUPS,
    "check-spf-inbound-max-void-lookups", CONF_T_INT, S, "2", false, NULL)
CONF_DIRECTIVE(CONF_TRACE_SPF_CHECK, "trace-spf-check", CONF_T_BOOL, S, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_REJECT_SPF_CHECK_TEMPERROR, "reject-spf-check-temperror",
    CONF_T_BOOL, S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_REJECT_SPF_CHECK_PERMERROR, "reject-spf-check-permerror",
    CONF_T_BOOL, S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_REJECT_SPF_CHECK_FAIL, "reject-spf-check-fail",
    CONF_T_BOOL, S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_CHECK_DKIM_INBOUND, "check-dkim-inbound", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_TRACE_DKIM_CHECK, "trace-dkim-check", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_CHECK_IPREV_INBOUND, "check-iprev-inbound", CONF_T_BOOL,
    S, "no", false, NULL)
CONF_DIRECTIVE(CONF_TRACE_IPREV_CHECK, "trace-iprev-check", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_REJECT_IPREV_CHECK_TEMPERROR,
    "reject-iprev-check-temperror", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_REJECT_IPREV_CHECK_PERMERROR,
    "reject-iprev-check-permerror", CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_REJECT_IPREV_CHECK_FAIL, "reject-iprev-check-fail",
    CONF_T_BOOL, S, "no", false, NULL)

/* Pickup directory and the dummy (blackhole) SMTP service. */
CONF_DIRECTIVE(CONF_PICKUP, "pickup", CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_PICKUP_RETRY_INTERVAL, "pickup-retry-interval",
    CONF_T_INTERVAL, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_PICKUP_REMOVE_DOT, "pickup-remove-dot", CONF_T_BOOL, G,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_IP, "dummy-smtp-ip", CONF_T_CIDR, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_PORT, "dummy-smtp-port", CONF_T_INT, G, "0",
    false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_AWAIT_SLOT, "dummy-smtp-await-slot",
    CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_HAS_CHUNKING, "dummy-smtp-has-chunking",
    CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_HAS_PIPELINING, "dummy-smtp-has-pipelining",
    CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_HAS_VERP, "dummy-smtp-has-verp", CONF_T_BOOL,
    G, "no", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_LATENCY, "dummy-smtp-latency", CONF_T_INT, G,
    "0", false, NULL)
CONF_DIRECTIVE(CONF_DUMMY_SMTP_UPDATE_STATS, "dummy-smtp-update-stats",
    CONF_T_BOOL, G, "yes", false, NULL)

/* Virtual MTAs. */
CONF_DIRECTIVE(CONF_VIRTUAL_MTA, "virtual-mta", CONF_T_NAME, P | S, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SOURCE_HOST, "smtp-source-host",
    CONF_T_SOURCE_HOST, G | V, NULL, true, NULL)
CONF_DIRECTIVE(CONF_SMTP_SOURCE_IP, "smtp-source-ip", CONF_T_SOURCE_HOST,
    G | V, NULL, true, NULL)
CONF_DIRECTIVE(CONF_EHLO_HOSTNAME, "ehlo-hostname", CONF_T_HOST, G | V | D,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_SOURCE_POOL, "source-pool", CONF_T_CIDR, V, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_DNS_ROTATE, "dns-rotate", CONF_T_BOOL, V, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_SMTP_RETRIES_AFTER_SHUTOFF,
    "smtp-retries-after-shutoff", CONF_T_INT, V, NULL, false, NULL)
CONF_DIRECTIVE(CONF_COLD_VIRTUAL_MTA, "cold-virtual-mta", CONF_T_NAME,
    V | P, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_COLD_VMTA_MSG, "max-cold-virtual-mta-msg",
    CONF_T_TEXT, D, "0/d", false, NULL)
CONF_DIRECTIVE(CONF_INVALID_VMTA_FALLBACK, "invalid-virtual-mta-fallback",
    CONF_T_NAME, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_SMTP_MSG_RATE, "max-smtp-msg-rate", CONF_T_RATE,
    V | P, "unlimited", false, NULL)
CONF_DIRECTIVE(CONF_MAX_SMTP_DATA_VOLUME_RATE, "max-smtp-data-volume-rate",
    CONF_T_TEXT, V | P, "unlimited", false, NULL)
CONF_DIRECTIVE(CONF_REWRITE_LIST, "rewrite-list", CONF_T_NAME, V | P | S,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_INCLUDE_HEADERS_FROM, "include-headers-from", CONF_T_PATH,
    G | V | P, NULL, false, NULL)
CONF_DIRECTIVE(CONF_USE_PROXY, "use-proxy", CONF_T_WORDS, G | V, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_ENABLE_SIGNALS, "enable-signals", CONF_T_TEXT, G | V | P,
    NULL, false, NULL)

/* Delivery: connections, rates, retries, expiry. */
CONF_DIRECTIVE(CONF_MAX_SMTP_OUT, "max-smtp-out", CONF_T_INT,
    G | V | P | D | S | SP, "20", true, NULL)
CONF_DIRECTIVE(CONF_TOTAL_MAX_SMTP_OUT, "total-max-smtp-out", CONF_T_INT,
    G, NULL, true, NULL)
CONF_DIRECTIVE(CONF_MAX_MSG_PER_CONNECTION, "max-msg-per-connection",
    CONF_T_INT, D, "0", true, NULL)
CONF_DIRECTIVE(CONF_MAX_MSG_RATE, "max-msg-rate", CONF_T_RATE, D,
    "unlimited", true, NULL)
CONF_DIRECTIVE(CONF_MAX_CONNECT_RATE, "max-connect-rate", CONF_T_RATE, D,
    "unlimited", true, NULL)
CONF_DIRECTIVE(CONF_MAX_RCPT_PER_TRANSACTION, "max-rcpt-per-transaction",
    CONF_T_INT, D, "1000", true, NULL)
CONF_DIRECTIVE(CONF_RETRY_AFTER, "retry-after", CONF_T_RETRY, G | D | BA,
    "10m", true, NULL)
CONF_DIRECTIVE(CONF_RETRY_RULE, "retry-after (reply)", CONF_T_RETRY, D,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_AFTER, "bounce-after", CONF_T_INTERVAL_NEVER, D,
    "4d12h", true, NULL)
CONF_DIRECTIVE(CONF_QUEUE_INTERVAL, "queue-interval", CONF_T_INTERVAL,
    G | D, "0", true, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERY_ATTEMPTS, "max-delivery-attempts",
    CONF_T_INT, G | D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_QUEUE_TO, "queue-to", CONF_T_STRING, D, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_SMTP_HOSTS, "smtp-hosts", CONF_T_HOSTS, D, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_ROUTE, "route", CONF_T_HOSTS, D, NULL, true, NULL)
CONF_DIRECTIVE(CONF_MX_CONNECTION_ATTEMPTS, "mx-connection-attempts",
    CONF_T_INT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_421_MX_UNAVAILABLE,
    "smtp-421-means-mx-unavailable", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_PAUSE, "pause", CONF_T_BOOL, D, "no", true, NULL)
CONF_DIRECTIVE(CONF_TYPE, "type", CONF_T_ENUM, D, "smtp", false,
    "smtp|pipe|file|discard|http-delivery")
CONF_DIRECTIVE(CONF_MX_CONNECTION_LIMIT, "mx-connection-limit", CONF_T_TEXT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_IP_CONNECTION_LIMIT, "ip-connection-limit", CONF_T_TEXT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_IP_MAX_SMTP_OUT, "source-ip-max-smtp-out",
    CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_SMTP_OUT_PER_SOURCE_IP, "max-smtp-out-per-source-ip",
    CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_OUT_RAMPUP_INTERVAL, "smtp-out-rampup-interval",
    CONF_T_INTERVAL, D, "0", false, NULL)
CONF_DIRECTIVE(CONF_CONNECTION_IDLE_TIMEOUT, "connection-idle-timeout",
    CONF_T_INTERVAL, D, "0", false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_IP_MAX_CONNECT_RATE, "source-ip-max-connect-rate",
    CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_IP_MAX_MSG_RATE, "source-ip-max-msg-rate",
    CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_MSG_PER_HOUR, "max-msg-per-hour", CONF_T_INT, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_MAX_DATA_VOLUME_RATE, "max-data-volume-rate", CONF_T_TEXT,
    D, "unlimited", false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_IP_MAX_DATA_VOLUME_RATE,
    "source-ip-max-data-volume-rate", CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_ERRORS_PER_CONNECTION, "max-errors-per-connection",
    CONF_T_TEXT, D | S | SS, "unlimited", true, NULL)
CONF_DIRECTIVE(CONF_RETRY_RECIPIENTS_AFTER, "retry-recipients-after",
    CONF_T_INTERVAL, D, "10m", false, NULL)
CONF_DIRECTIVE(CONF_RETRY_UPON_NEW_MAIL, "retry-upon-new-mail", CONF_T_BOOL,
    D, "no", false, NULL)
CONF_DIRECTIVE(CONF_QUEUE_PRIORITY, "queue-priority", CONF_T_INT, D, "50",
    false, NULL)
CONF_DIRECTIVE(CONF_DELIVERY_PRIORITY, "delivery-priority", CONF_T_TEXT, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_PRIORITY_INTERRUPTION,
    "allow-priority-interruption", CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_PRIORITY_INTERRUPTION_DURING_TRANSFER,
    "allow-priority-interruption-during-transfer", CONF_T_BOOL, D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_CANCEL_DURING_TRANSFER,
    "allow-cancel-during-transfer", CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_REROUTE_TO_VIRTUAL_MTA, "reroute-to-virtual-mta",
    CONF_T_NAME, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_DEFAULT_SMTP_PORT, "default-smtp-port", CONF_T_INT, D,
    "25", true, NULL)
CONF_DIRECTIVE(CONF_DISABLE_MX_ROLLUP, "disable-mx-rollup", CONF_T_BOOL, D,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_UPON_NO_MX, "bounce-upon-no-mx", CONF_T_TEXT, D,
    "false", false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_UPON_5XX_GREETING, "bounce-upon-5xx-greeting",
    CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_UPON_TRANSFER_FAILURE,
    "bounce-upon-transfer-failure", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_UPON_PIX_TRANSFER_FAILURE,
    "bounce-upon-pix-transfer-failure", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_PIX_BUG_WORKAROUND, "pix-bug-workaround", CONF_T_BOOL, D,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_ASSUME_DELIVERY_UPON_DATA_TERMINATION_TIMEOUT,
    "assume-delivery-upon-data-termination-timeout", CONF_T_BOOL, D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_MAX_EVENTS_RECORDED, "max-events-recorded", CONF_T_INT, D,
    "10", false, NULL)
CONF_DIRECTIVE(CONF_TRACK_RECIPIENT_EVENTS, "track-recipient-events",
    CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_DISABLE_ACCT_RECORDS, "disable-acct-records",
    CONF_T_WORDS, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BCC_UPON_DELIVERY, "bcc-upon-delivery", CONF_T_EMAIL, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_DISABLED_IPS, "log-disabled-ips", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_LOG_MESSAGES, "log-messages", CONF_T_BOOL, D, NULL, false,
    NULL)

/* Delivery: backoff and reply patterns. */
CONF_DIRECTIVE(CONF_SMTP_PATTERN_LIST, "smtp-pattern-list", CONF_T_NAME, D,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_MSG_RATE, "backoff-max-msg-rate",
    CONF_T_RATE, D, NULL, true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_MSG_PER_CONNECTION,
    "backoff-max-msg-per-connection", CONF_T_INT, D, NULL, true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_SMTP_OUT, "backoff-max-smtp-out",
    CONF_T_INT, D, "20", true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_RETRY_AFTER, "backoff-retry-after",
    CONF_T_INTERVALS, D, "1h", true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_TO_NORMAL_AFTER, "backoff-to-normal-after",
    CONF_T_INTERVAL_NEVER, D, "never", true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_TO_NORMAL_AFTER_DELIVERY,
    "backoff-to-normal-after-delivery", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_NOTIFY, "backoff-notify", CONF_T_WORDS, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACK_OFF_MODE, "back-off-mode", CONF_T_ENUM, D,
    "normal", true, "normal|backoff")
CONF_DIRECTIVE(CONF_ADAPTIVE_MAX_SMTP_OUT, "adaptive-max-smtp-out",
    CONF_T_BOOL, G | D, "no", false, NULL)
CONF_DIRECTIVE(CONF_ADAPTIVE_SOFT_BOUNCE_LIMIT, "adaptive-soft-bounce-limit",
    CONF_T_INT, G | D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADAPTIVE_BACKOFF_INTERVAL, "adaptive-backoff-interval",
    CONF_T_INTERVAL, G | D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_CONNECT_RATE, "backoff-max-connect-rate",
    CONF_T_RATE, D, NULL, true, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_MSG_PER_HOUR, "backoff-max-msg-per-hour",
    CONF_T_INT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_DATA_VOLUME_RATE,
    "backoff-max-data-volume-rate", CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_REROUTE_TO_VIRTUAL_MTA,
    "backoff-reroute-to-virtual-mta", CONF_T_NAME, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_UPON_ALL_SOURCES_DISABLED,
    "backoff-upon-all-sources-disabled", CONF_T_BOOL, D, "no", true, NULL)
CONF_DIRECTIVE(CONF_REENABLE_SOURCE_IP_AFTER, "reenable-source-ip-after",
    CONF_T_INTERVAL_NEVER, D, "never", true, NULL)
CONF_DIRECTIVE(CONF_DISABLED_SOURCE_IP_NOTIFY, "disabled-source-ip-notify",
    CONF_T_WORDS, D, NULL, false, NULL)

/* Delivery: the SMTP client. */
CONF_DIRECTIVE(CONF_USE_STARTTLS, "use-starttls", CONF_T_ENUM, S | D | V,
    "if-available", true, "yes|no|if-available|require|true|false")
CONF_DIRECTIVE(CONF_REQUIRE_STARTTLS, "require-starttls", CONF_T_BOOL, D,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_SMTP_TIMEOUT, "smtp-timeout", CONF_T_INTERVAL, G | D,
    "5m", true, NULL)
CONF_DIRECTIVE(CONF_CONNECTION_TIMEOUT, "connection-timeout",
    CONF_T_INTERVAL, G | D, "2m", false, NULL)
CONF_DIRECTIVE(CONF_READ_TIMEOUT, "read-timeout", CONF_T_INTERVAL, G | D,
    "5m", false, NULL)
CONF_DIRECTIVE(CONF_WRITE_TIMEOUT, "write-timeout", CONF_T_INTERVAL, G | D,
    "5m", false, NULL)
CONF_DIRECTIVE(CONF_DATA_TIMEOUT, "data-timeout", CONF_T_INTERVAL, G | D,
    "10m", false, NULL)
CONF_DIRECTIVE(CONF_DNS_TIMEOUT, "dns-timeout", CONF_T_INTERVAL, G | V | D,
    "30s", true, NULL)
CONF_DIRECTIVE(CONF_SMTP_CLIENT_THREADS, "smtp-client-threads", CONF_T_INT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERIES_PER_CONNECTION,
    "max-deliveries-per-connection", CONF_T_INT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERY_THREADS, "max-delivery-threads",
    CONF_T_INT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_COMMANDS, "log-commands", CONF_T_BOOL, S | D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_LOG_RESOLUTION, "log-resolution", CONF_T_BOOL, D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_LOG_TRANSFER_FAILURES, "log-transfer-failures",
    CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_AUTH_USERNAME, "auth-username", CONF_T_STRING, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_AUTH_PASSWORD, "auth-password", CONF_T_STRING, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SPF_IDENTITY, "spf-identity", CONF_T_ENUM, D, NULL,
    false, "mfrom|helo|pra")
CONF_DIRECTIVE(CONF_CONNECT_TIMEOUT, "connect-timeout", CONF_T_INTERVAL, D,
    "2m", true, NULL)
CONF_DIRECTIVE(CONF_SMTP_GREETING_TIMEOUT, "smtp-greeting-timeout",
    CONF_T_INTERVAL, D, "5m", true, NULL)
CONF_DIRECTIVE(CONF_DATA_SEND_TIMEOUT, "data-send-timeout", CONF_T_INTERVAL,
    D, "3m", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_DATA_TERMINATION_TIMEOUT,
    "smtp-data-termination-timeout", CONF_T_INTERVAL, D, "10m", true, NULL)
CONF_DIRECTIVE(CONF_IGNORE_8BITMIME, "ignore-8bitmime", CONF_T_BOOL, D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_IGNORE_CHUNKING, "ignore-chunking", CONF_T_BOOL, D, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_IGNORE_PIPELINING, "ignore-pipelining", CONF_T_BOOL, D,
    "no", true, NULL)
CONF_DIRECTIVE(CONF_IGNORE_DSN, "ignore-dsn", CONF_T_BOOL, D, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_USE_UNENCRYPTED_PLAIN_AUTH, "use-unencrypted-plain-auth",
    CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_553_MEANS_INVALID_MAILBOX,
    "smtp-553-means-invalid-mailbox", CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_REPLACE_SMTP_421_SERVICE_RESPONSE,
    "replace-smtp-421-service-response", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_CHECK_SPF_OUTBOUND, "check-spf-outbound", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_USE_DANE, "use-dane", CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_REUSE_SSL_SESSION, "reuse-ssl-session", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_ALLOW_SSLV3, "smtp-tls-allow-sslv3", CONF_T_BOOL,
    D, "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_ALLOW_TLSV1, "smtp-tls-allow-tlsv1", CONF_T_BOOL,
    D, "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_ALLOW_TLSV1_1, "smtp-tls-allow-tlsv1.1",
    CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_ALLOW_TLSV1_2, "smtp-tls-allow-tlsv1.2",
    CONF_T_BOOL, D, "yes", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_CA_FILE, "smtp-tls-ca-file", CONF_T_PATH, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TLS_CIPHERS, "smtp-tls-ciphers", CONF_T_TEXT, D,
    "HIGH:!ADH:@STRENGTH", false, NULL)

/* Delivery: queues of another type (pipe, file, discard, HTTP). */
CONF_DIRECTIVE(CONF_DISCARD_AS_BOUNCE, "discard-as-bounce", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_FILE_FORMAT, "file-format", CONF_T_ENUM, D,
    "newfile-plain", false, "newfile-plain|newfile-pickup|append-mbox")
CONF_DIRECTIVE(CONF_FILE_DESTINATION, "file-destination", CONF_T_PATH, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_COMMAND, "command", CONF_T_TEXT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MACRO_VARIABLES_PRESERVE_CASE,
    "macro-variables-preserve-case", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_DELIVERY_URL, "http-delivery-url", CONF_T_TEXT, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_DELIVERY_EXTRA_HEADERS,
    "http-delivery-extra-headers", CONF_T_PATH, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADD_X_MSYS_API_HEADER, "add-x-msys-api-header",
    CONF_T_BOOL, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SPARKPOST_SANDBOX, "sparkpost-sandbox", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_SPARKPOST_IP_POOL, "sparkpost-ip-pool", CONF_T_STRING, D,
    NULL, false, NULL)

/* Signing. */
CONF_DIRECTIVE(CONF_DOMAIN_KEY, "domain-key", CONF_T_DOMAIN_KEY,
    G | V | P | DKL, NULL, true, NULL)
CONF_DIRECTIVE(CONF_DKIM_SIGN, "dkim-sign", CONF_T_BOOL, D, "no", true,
    NULL)
CONF_DIRECTIVE(CONF_DKIM_IDENTITY, "dkim-identity", CONF_T_STRING, D,
    "sender-or-from", true, NULL)
CONF_DIRECTIVE(CONF_DKIM_HEADERS, "dkim-headers", CONF_T_TEXT, D, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_DKIM_EXPIRE_AFTER, "dkim-expire-after",
    CONF_T_INTERVAL_NEVER, D, "never", true, NULL)
CONF_DIRECTIVE(CONF_DKIM_ALGORITHM, "dkim-algorithm", CONF_T_ENUM, D,
    "rsa-sha256", false, "rsa-sha1|rsa-sha256")
CONF_DIRECTIVE(CONF_DKIM_BODY_CANON, "dkim-body-canon", CONF_T_ENUM, D,
    "simple", true, "simple|relaxed")
CONF_DIRECTIVE(CONF_DKIM_HEADERS_CANON, "dkim-headers-canon", CONF_T_ENUM, D,
    "relaxed", true, "simple|relaxed")
CONF_DIRECTIVE(CONF_DKIM_ADD_BODY_LIMIT, "dkim-add-body-limit", CONF_T_BOOL,
    D, "no", false, NULL)
CONF_DIRECTIVE(CONF_DKIM_ADD_TIMESTAMP, "dkim-add-timestamp", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_DKIM_QUERY_METHOD, "dkim-query-method", CONF_T_STRING, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_DKIM_IDENTITY_FALLBACK, "dkim-identity-fallback",
    CONF_T_STRING, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_DKIM_DISALLOW_ADDING_HEADERS,
    "dkim-disallow-adding-headers", CONF_T_WORDS, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_SIGN, "second-dkim-sign", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_IDENTITY, "second-dkim-identity",
    CONF_T_STRING, D, "sender-or-from", false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_IDENTITY_FALLBACK,
    "second-dkim-identity-fallback", CONF_T_STRING, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_HEADERS, "second-dkim-headers", CONF_T_TEXT,
    D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_DISALLOW_ADDING_HEADERS,
    "second-dkim-disallow-adding-headers", CONF_T_WORDS, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_EXPIRE_AFTER, "second-dkim-expire-after",
    CONF_T_INTERVAL_NEVER, D, "never", false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_ALGORITHM, "second-dkim-algorithm",
    CONF_T_ENUM, D, "rsa-sha256", false, "rsa-sha1|rsa-sha256")
CONF_DIRECTIVE(CONF_SECOND_DKIM_BODY_CANON, "second-dkim-body-canon",
    CONF_T_ENUM, D, "relaxed", false, "simple|relaxed")
CONF_DIRECTIVE(CONF_SECOND_DKIM_HEADERS_CANON, "second-dkim-headers-canon",
    CONF_T_ENUM, D, "relaxed", false, "simple|relaxed")
CONF_DIRECTIVE(CONF_SECOND_DKIM_ADD_BODY_LIMIT, "second-dkim-add-body-limit",
    CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_ADD_TIMESTAMP, "second-dkim-add-timestamp",
    CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_SECOND_DKIM_QUERY_METHOD, "second-dkim-query-method",
    CONF_T_STRING, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_KEY_DOMAIN, "domain", CONF_T_TEXT, DK | DKB | AL, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_KEY_SELECTOR, "selector", CONF_T_STRING, DK | DKB, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_KEY_PRIVATE_KEY, "private-key", CONF_T_PATH, DKB, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_KEY_PRIVATE_KEY_FILE, "private-key-file", CONF_T_PATH,
    DK, NULL, true, NULL)
CONF_DIRECTIVE(CONF_KEY_TYPE, "type", CONF_T_ENUM, DKB, NULL, false,
    "dk|dkim")
CONF_DIRECTIVE(CONF_HEADER_LIST, "header-list", CONF_T_TEXT, DK, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_CANONICALIZATION, "canonicalization", CONF_T_ENUM, DK,
    "relaxed/simple", true,
    "relaxed/simple|simple/simple|relaxed/relaxed|simple/relaxed")
CONF_DIRECTIVE(CONF_SIGN_HASH, "sign-hash", CONF_T_ENUM, DK, "sha256",
    true, "sha256")

/* Bounces and DSNs. */
CONF_DIRECTIVE(CONF_BOUNCE_DOMAIN, "bounce-domain", CONF_T_HOST, D, NULL,
    true, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_LOG, "bounce-log", CONF_T_PATH, G | V, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_CATEGORY_LOG, "bounce-category-log", CONF_T_PATH,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_PERMANENT_BOUNCE_AFTER, "permanent-bounce-after",
    CONF_T_INTERVAL_NEVER, G, "never", true, NULL)
CONF_DIRECTIVE(CONF_DELIVER_LOCAL_DSN, "deliver-local-dsn", CONF_T_BOOL, D,
    "yes", true, NULL)
CONF_DIRECTIVE(CONF_DSN_FORMAT, "dsn-format", CONF_T_ENUM, D, "rfc3464",
    true, "rfc3464|text|standard|plain-text")
CONF_DIRECTIVE(CONF_NOTIFY_OF_DELAY_EVERY, "notify-of-delay-every",
    CONF_T_INTERVAL_NEVER, D, "4h", true, NULL)
CONF_DIRECTIVE(CONF_CUSTOM_DSN_FROM_HEADER, "custom-dsn-from-header",
    CONF_T_TEXT, G, NULL, true, NULL)
CONF_DIRECTIVE(CONF_BA_TYPE, "type", CONF_T_ENUM, BA, NULL, true,
    "permanent|transient")
CONF_DIRECTIVE(CONF_MATCH, "match", CONF_T_WORDS, BA, NULL, true, NULL)
CONF_DIRECTIVE(CONF_ACTION, "action", CONF_T_ENUM, BA, NULL, true,
    "suppress|retry|bounce")
CONF_DIRECTIVE(CONF_MAX_TRIES, "max-tries", CONF_T_INT, BA, NULL, true,
    NULL)

/* Rule lists. */
CONF_DIRECTIVE(CONF_REPLY, "reply", CONF_T_REPLY_RULE, SPL, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_MAIL_FROM, "mail-from", CONF_T_MATCH_RULE, PL, NULL, true, NULL)
CONF_DIRECTIVE(CONF_RCPT_TO, "rcpt-to", CONF_T_MATCH_RULE, PL, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_HEADER, "header", CONF_T_MATCH_RULE, PL, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_CATCH_ALL, "*", CONF_T_TEXT, PL, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MX, "mx", CONF_T_ROLLUP, MXR, NULL, true, NULL)
CONF_DIRECTIVE(CONF_CATEGORY_PATTERN, "/regex/", CONF_T_CATEGORY_RULE, BCP,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADDRESS, "address", CONF_T_TEXT, AL, NULL, true, NULL)
CONF_DIRECTIVE(CONF_ADDRESS_FILE, "address-file", CONF_T_PATH, AL, NULL,
    true, NULL)

/* Accounting files. */
CONF_DIRECTIVE(CONF_RECORDS, "records", CONF_T_WORDS, A, "d,b", true, NULL)
CONF_DIRECTIVE(CONF_RECORD_FIELDS, "record-fields", CONF_T_RECORD_FIELDS, A,
    NULL, true, NULL)
CONF_DIRECTIVE(CONF_MOVE_INTERVAL, "move-interval", CONF_T_INTERVAL_NEVER,
    A, "1d", true, NULL)
CONF_DIRECTIVE(CONF_MAX_SIZE, "max-size", CONF_T_SIZE, A, "250M", true,
    NULL)
CONF_DIRECTIVE(CONF_MOVE_TO, "move-to", CONF_T_PATH, A, NULL, true, NULL)
CONF_DIRECTIVE(CONF_DELETE_AFTER, "delete-after", CONF_T_INTERVAL_NEVER, A,
    "8d", true, NULL)
CONF_DIRECTIVE(CONF_WORLD_READABLE, "world-readable", CONF_T_BOOL, A, "no",
    true, NULL)
CONF_DIRECTIVE(CONF_ACCT_SYNC, "sync", CONF_T_BOOL, A, "yes", true, NULL)
CONF_DIRECTIVE(CONF_ACCT_WRITE_TIMEOUT, "write-timeout", CONF_T_INTERVAL, A,
    "1m", true, NULL)
CONF_DIRECTIVE(CONF_RETRY_INTERVAL, "retry-interval", CONF_T_INTERVAL, A,
    "5m", true, NULL)
CONF_DIRECTIVE(CONF_QUEUE_FILTER, "queue-filter", CONF_T_WORDS, A, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_ISO_TIMES, "iso-times", CONF_T_BOOL, A, "yes", true,
    NULL)
CONF_DIRECTIVE(CONF_USER_STRING, "user-string", CONF_T_TEXT, A, NULL, true,
    NULL)
CONF_DIRECTIVE(CONF_MAP_HEADER_TO_FIELD, "map-header-to-field", CONF_T_TEXT,
    A, NULL, false, NULL)
CONF_DIRECTIVE(CONF_COUNT_MOVED_RECORDS, "count-moved-records", CONF_T_BOOL,
    A, "no", false, NULL)
CONF_DIRECTIVE(CONF_PRIVACY_POLICY, "privacy-policy", CONF_T_TEXT, A,
    "retain", false, NULL)

/* Logging and statistics. */
CONF_DIRECTIVE(CONF_LOG_FILE, "log-file", CONF_T_PATH, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_ROTATE_SIZE, "log-rotate-size", CONF_T_SIZE, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_ROTATE_COUNT, "log-rotate-count", CONF_T_INT, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_LEVEL, "log-level", CONF_T_ENUM, G, "info", false,
    "debug|info|warning|error")
CONF_DIRECTIVE(CONF_LOG_FORMAT_EXTENDED, "log-format-extended", CONF_T_TEXT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_STATISTICS, "statistics", CONF_T_BOOL, G, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_STATISTICS_FILE, "statistics-file", CONF_T_PATH, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_ROTATE, "log-rotate", CONF_T_INT, G, "8", false, NULL)
CONF_DIRECTIVE(CONF_LOG_AUTO_ROTATION, "log-auto-rotation", CONF_T_BOOL, G,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_LOG_FILE_WORLD_READABLE, "log-file-world-readable",
    CONF_T_BOOL, G, "no", false, NULL)
CONF_DIRECTIVE(CONF_PMC_ACCT_MIN_FREE_SPACE, "pmc-acct-min-free-space",
    CONF_T_TEXT, G, "unlimited", false, NULL)

/* Spool directories (<spool>). */
CONF_DIRECTIVE(CONF_PRIORITY, "priority", CONF_T_INT, Q, "1", false, NULL)
CONF_DIRECTIVE(CONF_MIN_FREE_SPACE, "min-free-space", CONF_T_SIZE, Q, "0",
    false, NULL)
CONF_DIRECTIVE(CONF_DELIVER_ONLY, "deliver-only", CONF_T_BOOL, Q, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_DELETE_FILE_HOLDERS, "delete-file-holders", CONF_T_BOOL,
    Q, "no", false, NULL)

/* Resources. */
CONF_DIRECTIVE(CONF_MEMORY_POOL_MAX, "memory-pool-max", CONF_T_SIZE, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_QUEUE_SIZE, "max-queue-size", CONF_T_SIZE, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_MAX_QUEUED, "max-queued", CONF_T_INT, G, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_QUEUE_SHARDS, "queue-shards", CONF_T_INT, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SPOOL_BUFFER_SIZE, "spool-buffer-size", CONF_T_SIZE, G,
    NULL, false, NULL)

/* Management. */
CONF_DIRECTIVE(CONF_HTTP_MGMT_PORT, "http-mgmt-port", CONF_T_INT, G | H,
    "8080", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_MGMT_INTERFACE, "http-mgmt-interface",
    CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_MGMT_AUTH, "http-mgmt-auth", CONF_T_PATH, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_ACCESS, "http-access", CONF_T_TEXT, G | H, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_PORT, "port", CONF_T_INT, H, NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_ADDRESS, "address", CONF_T_TEXT, H, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_ENABLE_CONFIG_EDITING, "enable-config-editing",
    CONF_T_BOOL, H, "no", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_REDIRECT_TO_HTTPS, "http-redirect-to-https",
    CONF_T_BOOL, G | H, "yes", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_CSRF_PROTECTION, "http-csrf-protection", CONF_T_BOOL,
    G | H, "yes", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_API_KEY, "http-api-key", CONF_T_STRING, G | H, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_STRICT_TRANSPORT_SECURITY_MAX_AGE,
    "http-strict-transport-security-max-age", CONF_T_INT, G | H, "0", false,
    NULL)
CONF_DIRECTIVE(CONF_HTTP_MGMT_SOURCE, "http-mgmt-source", CONF_T_TEXT, G | H,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_NO_HTTP_MGMT_SOURCE, "no-http-mgmt-source", CONF_T_TEXT,
    G | H, NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_ALLOW_SSLV3, "http-tls-allow-sslv3", CONF_T_BOOL,
    G | H, "no", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_ALLOW_TLSV1, "http-tls-allow-tlsv1", CONF_T_BOOL,
    G | H, "no", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_ALLOW_TLSV1_1, "http-tls-allow-tlsv1.1",
    CONF_T_BOOL, G | H, "yes", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_ALLOW_TLSV1_2, "http-tls-allow-tlsv1.2",
    CONF_T_BOOL, G | H, "yes", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_CIPHERS, "http-tls-ciphers", CONF_T_TEXT, G | H,
    "HIGH:!ADH:@STRENGTH", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_TLS_CA_FILE, "http-tls-ca-file", CONF_T_PATH, G | H,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_LOG_TLS, "http-log-tls", CONF_T_BOOL, G | H, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_LOG_DATA, "http-log-data", CONF_T_BOOL, G | H, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_LOG_REQUESTS, "http-log-requests", CONF_T_BOOL,
    G | H, "no", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_DEFAULT_MAX_ITEMS, "http-default-max-items",
    CONF_T_INT, G | H, "10", false, NULL)
CONF_DIRECTIVE(CONF_HTTP_DEFAULT_SORT_ORDER, "http-default-sort-order",
    CONF_T_ENUM, G | H, "rcpt", false, "rcpt|name|size")

#undef G
#undef D
#undef V
#undef P
#undef S
#undef A
#undef L
#undef Q
#undef SPL
#undef PL
#undef MXR
#undef BCP
#undef U
#undef AC
#undef DK
#undef DKB
#undef DKL
#undef BA
#undef H
#undef SS
#undef AL
#undef SP
