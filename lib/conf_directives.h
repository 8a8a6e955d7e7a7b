/*
 * conf_directives.h - the one table of mta.conf(5) directives.
 *
 * CONF_DIRECTIVE(id, name, type, scopes, default, implemented, values)
 *
 * Included twice: by conf.h to make enum conf_id, by conf_table.c to make
 * conf_defs[].  A directive whose "implemented" is false is accepted and
 * checked, and the checker warns once that it has no effect yet.  The
 * man page mta.conf(5) lists the same rows; keep them in step.
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
CONF_DIRECTIVE(CONF_INCLUDE, "include", CONF_T_INCLUDE, G, NULL, true, NULL)
CONF_DIRECTIVE(CONF_DOMAIN_MACRO, "domain-macro", CONF_T_MACRO, G, NULL,
    true, NULL)

/* Identity and paths. */
CONF_DIRECTIVE(CONF_HOST_NAME, "host-name", CONF_T_HOST, G | V, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_POSTMASTER, "postmaster", CONF_T_EMAIL, G | V, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SPOOL, "spool", CONF_T_PATH, G, "/var/spool/mta",
    false, NULL)
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
    false, NULL)
CONF_DIRECTIVE(CONF_NAME_SERVER, "name-server", CONF_T_WORDS, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_DOMAIN_SUFFIX, "domain-suffix", CONF_T_HOST, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HOST_ID, "host-id", CONF_T_STRING, G, NULL, false,
    NULL)

/* Injection and SMTP service. */
CONF_DIRECTIVE(CONF_SMTP_LISTENER, "smtp-listener", CONF_T_LISTENER, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_PORT, "smtp-port", CONF_T_INT, G | V | D, "25",
    false, NULL)
CONF_DIRECTIVE(CONF_MAX_SMTP_IN, "max-smtp-in", CONF_T_INT, G | S | SS,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_TOTAL_MAX_SMTP_IN, "total-max-smtp-in", CONF_T_INT, G,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_MESSAGE_SIZE, "max-message-size", CONF_T_SIZE,
    G | S | D, "0", false, NULL)
CONF_DIRECTIVE(CONF_IMMEDIATE_TLS, "immediate-tls", CONF_T_BOOL, L, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CERTIFICATE,
    "smtp-server-tls-certificate", CONF_T_TEXT, G | L, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CA_FILE, "smtp-server-tls-ca-file",
    CONF_T_PATH, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_TLS_CIPHERS, "smtp-server-tls-ciphers",
    CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVER_THREADS, "smtp-server-threads", CONF_T_INT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ALWAYS_ALLOW_RELAYING, "always-allow-relaying",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_RELAY, "relay", CONF_T_BOOL, S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_RELAY_DOMAIN, "relay-domain", CONF_T_WORDS, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_RELAY_ADDRESS, "relay-address", CONF_T_WORDS, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SERVICE, "smtp-service", CONF_T_BOOL, S, "yes",
    false, NULL)
CONF_DIRECTIVE(CONF_REQUIRE_AUTH, "require-auth", CONF_T_BOOL, S | AC,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_SUBMISSION, "allow-submission", CONF_T_BOOL, AC,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_AUTH_PLAIN, "auth-plain", CONF_T_PATH, AC | SS, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_ALLOW_UNENCRYPTED_PLAIN, "allow-unencrypted-plain",
    CONF_T_BOOL, S | SS, "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_VIRTUAL_MTA, "process-x-virtual-mta",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_JOB, "process-x-job", CONF_T_BOOL, S, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_ENVID, "process-x-envid", CONF_T_BOOL, S,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_PROCESS_X_REMOTE_MTA_IP, "process-x-remote-mta-ip",
    CONF_T_BOOL, S, "no", false, NULL)
CONF_DIRECTIVE(CONF_DEFAULT_VIRTUAL_MTA, "default-virtual-mta", CONF_T_NAME,
    S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADD_RECEIVED_HEADER, "add-received-header", CONF_T_BOOL,
    S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_HIDE_MESSAGE_SOURCE, "hide-message-source", CONF_T_BOOL,
    S, "no", false, NULL)
CONF_DIRECTIVE(CONF_ADD_MESSAGE_ID_HEADER, "add-message-id-header",
    CONF_T_BOOL, S, "yes", false, NULL)
CONF_DIRECTIVE(CONF_ADD_DATE_HEADER, "add-date-header", CONF_T_BOOL, S,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_SUPPRESSION_LISTS, "suppression-lists", CONF_T_WORDS,
    S, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ALWAYS_USE_MX, "always-use-mx", CONF_T_BOOL, S, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_LOG_CONNECTIONS, "log-connections", CONF_T_BOOL,
    S | D, "no", false, NULL)
CONF_DIRECTIVE(CONF_RANDOM_IP, "random-ip", CONF_T_BOOL, SP, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_USER_SOURCE, "source", CONF_T_NAME, U, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_PASSWORD, "password", CONF_T_STRING, U, NULL, false,
    NULL)

/* Virtual MTAs. */
CONF_DIRECTIVE(CONF_VIRTUAL_MTA, "virtual-mta", CONF_T_NAME, P | S, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SOURCE_HOST, "smtp-source-host",
    CONF_T_SOURCE_HOST, G | V, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_SOURCE_IP, "smtp-source-ip", CONF_T_SOURCE_HOST,
    G | V, NULL, false, NULL)
CONF_DIRECTIVE(CONF_EHLO_HOSTNAME, "ehlo-hostname", CONF_T_HOST, G | V | D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_SOURCE_POOL, "source-pool", CONF_T_CIDR, V, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_DNS_ROTATE, "dns-rotate", CONF_T_BOOL, V, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_SMTP_RETRIES_AFTER_SHUTOFF,
    "smtp-retries-after-shutoff", CONF_T_INT, V, NULL, false, NULL)
CONF_DIRECTIVE(CONF_COLD_VIRTUAL_MTA, "cold-virtual-mta", CONF_T_NAME, V,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_COLD_VMTA_MSG, "max-cold-virtual-mta-msg",
    CONF_T_RATE, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_INVALID_VMTA_FALLBACK, "invalid-virtual-mta-fallback",
    CONF_T_NAME, G, NULL, false, NULL)

/* Delivery: connections, rates, retries, expiry. */
CONF_DIRECTIVE(CONF_MAX_SMTP_OUT, "max-smtp-out", CONF_T_INT,
    G | V | D | S | SP, "20", false, NULL)
CONF_DIRECTIVE(CONF_TOTAL_MAX_SMTP_OUT, "total-max-smtp-out", CONF_T_INT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_MSG_PER_CONNECTION, "max-msg-per-connection",
    CONF_T_INT, D, "0", false, NULL)
CONF_DIRECTIVE(CONF_MAX_MSG_RATE, "max-msg-rate", CONF_T_RATE, D,
    "unlimited", false, NULL)
CONF_DIRECTIVE(CONF_MAX_CONNECT_RATE, "max-connect-rate", CONF_T_RATE, D,
    "unlimited", false, NULL)
CONF_DIRECTIVE(CONF_MAX_RCPT_PER_TRANSACTION, "max-rcpt-per-transaction",
    CONF_T_INT, D, "100", false, NULL)
CONF_DIRECTIVE(CONF_RETRY_AFTER, "retry-after", CONF_T_RETRY, G | D | BA,
    "10m", false, NULL)
CONF_DIRECTIVE(CONF_RETRY_RULE, "retry-after (reply)", CONF_T_RETRY, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_AFTER, "bounce-after", CONF_T_INTERVAL_NEVER, D,
    "4d12h", false, NULL)
CONF_DIRECTIVE(CONF_QUEUE_INTERVAL, "queue-interval", CONF_T_INTERVAL,
    G | D, "1m", false, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERY_ATTEMPTS, "max-delivery-attempts",
    CONF_T_INT, G | D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_QUEUE_TO, "queue-to", CONF_T_STRING, D, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_SMTP_HOSTS, "smtp-hosts", CONF_T_HOSTS, D, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_ROUTE, "route", CONF_T_HOSTS, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MX_CONNECTION_ATTEMPTS, "mx-connection-attempts",
    CONF_T_INT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_SMTP_421_MX_UNAVAILABLE,
    "smtp-421-means-mx-unavailable", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_PAUSE, "pause", CONF_T_BOOL, D, "no", false, NULL)

/* Delivery: backoff and reply patterns. */
CONF_DIRECTIVE(CONF_SMTP_PATTERN_LIST, "smtp-pattern-list", CONF_T_NAME, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_MSG_RATE, "backoff-max-msg-rate",
    CONF_T_RATE, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_MSG_PER_CONNECTION,
    "backoff-max-msg-per-connection", CONF_T_INT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_MAX_SMTP_OUT, "backoff-max-smtp-out",
    CONF_T_INT, D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_RETRY_AFTER, "backoff-retry-after",
    CONF_T_INTERVALS, D, "20m", false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_TO_NORMAL_AFTER, "backoff-to-normal-after",
    CONF_T_INTERVAL_NEVER, D, "1h", false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_TO_NORMAL_AFTER_DELIVERY,
    "backoff-to-normal-after-delivery", CONF_T_BOOL, D, "no", false, NULL)
CONF_DIRECTIVE(CONF_BACKOFF_NOTIFY, "backoff-notify", CONF_T_EMAIL, D,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_BACK_OFF_MODE, "back-off-mode", CONF_T_ENUM, D,
    "normal", false, "normal|backoff")
CONF_DIRECTIVE(CONF_ADAPTIVE_MAX_SMTP_OUT, "adaptive-max-smtp-out",
    CONF_T_BOOL, G | D, "no", false, NULL)
CONF_DIRECTIVE(CONF_ADAPTIVE_SOFT_BOUNCE_LIMIT, "adaptive-soft-bounce-limit",
    CONF_T_INT, G | D, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADAPTIVE_BACKOFF_INTERVAL, "adaptive-backoff-interval",
    CONF_T_INTERVAL, G | D, NULL, false, NULL)

/* Delivery: the SMTP client. */
CONF_DIRECTIVE(CONF_USE_STARTTLS, "use-starttls", CONF_T_ENUM, S | D | V,
    "if-available", false, "yes|no|if-available|require")
CONF_DIRECTIVE(CONF_REQUIRE_STARTTLS, "require-starttls", CONF_T_BOOL, D,
    "no", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_TIMEOUT, "smtp-timeout", CONF_T_INTERVAL, G | D,
    "5m", false, NULL)
CONF_DIRECTIVE(CONF_CONNECTION_TIMEOUT, "connection-timeout",
    CONF_T_INTERVAL, G | D, "2m", false, NULL)
CONF_DIRECTIVE(CONF_READ_TIMEOUT, "read-timeout", CONF_T_INTERVAL, G | D,
    "5m", false, NULL)
CONF_DIRECTIVE(CONF_WRITE_TIMEOUT, "write-timeout", CONF_T_INTERVAL, G | D,
    "5m", false, NULL)
CONF_DIRECTIVE(CONF_DATA_TIMEOUT, "data-timeout", CONF_T_INTERVAL, G | D,
    "10m", false, NULL)
CONF_DIRECTIVE(CONF_DNS_TIMEOUT, "dns-timeout", CONF_T_INTERVAL, G | V | D,
    "30s", false, NULL)
CONF_DIRECTIVE(CONF_SMTP_CLIENT_THREADS, "smtp-client-threads", CONF_T_INT,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERIES_PER_CONNECTION,
    "max-deliveries-per-connection", CONF_T_INT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MAX_DELIVERY_THREADS, "max-delivery-threads",
    CONF_T_INT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_LOG_COMMANDS, "log-commands", CONF_T_BOOL, D, "no",
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

/* Signing. */
CONF_DIRECTIVE(CONF_DOMAIN_KEY, "domain-key", CONF_T_DOMAIN_KEY,
    G | V | DKL, NULL, false, NULL)
CONF_DIRECTIVE(CONF_DKIM_SIGN, "dkim-sign", CONF_T_BOOL, D, "no", false,
    NULL)
CONF_DIRECTIVE(CONF_DKIM_IDENTITY, "dkim-identity", CONF_T_STRING, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_DKIM_HEADERS, "dkim-headers", CONF_T_TEXT, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_DKIM_EXPIRE_AFTER, "dkim-expire-after",
    CONF_T_INTERVAL_NEVER, D, "never", false, NULL)
CONF_DIRECTIVE(CONF_KEY_DOMAIN, "domain", CONF_T_TEXT, DK | DKB | AL, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_KEY_SELECTOR, "selector", CONF_T_STRING, DK | DKB, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_KEY_PRIVATE_KEY, "private-key", CONF_T_PATH, DKB, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_KEY_PRIVATE_KEY_FILE, "private-key-file", CONF_T_PATH,
    DK, NULL, false, NULL)
CONF_DIRECTIVE(CONF_KEY_TYPE, "type", CONF_T_ENUM, DKB | BA, NULL, false,
    "dk|dkim|permanent|transient")
CONF_DIRECTIVE(CONF_HEADER_LIST, "header-list", CONF_T_TEXT, DK, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_CANONICALIZATION, "canonicalization", CONF_T_ENUM, DK,
    "relaxed/simple", false,
    "relaxed/simple|simple/simple|relaxed/relaxed|simple/relaxed")
CONF_DIRECTIVE(CONF_SIGN_HASH, "sign-hash", CONF_T_ENUM, DK, "sha256",
    false, "sha256")

/* Bounces and DSNs. */
CONF_DIRECTIVE(CONF_BOUNCE_DOMAIN, "bounce-domain", CONF_T_HOST, D, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_LOG, "bounce-log", CONF_T_PATH, G | V, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_BOUNCE_CATEGORY_LOG, "bounce-category-log", CONF_T_PATH,
    G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_PERMANENT_BOUNCE_AFTER, "permanent-bounce-after",
    CONF_T_INTERVAL_NEVER, G, "never", false, NULL)
CONF_DIRECTIVE(CONF_DELIVER_LOCAL_DSN, "deliver-local-dsn", CONF_T_BOOL, D,
    "yes", false, NULL)
CONF_DIRECTIVE(CONF_DSN_FORMAT, "dsn-format", CONF_T_ENUM, D, "rfc3464",
    false, "rfc3464|text")
CONF_DIRECTIVE(CONF_NOTIFY_OF_DELAY_EVERY, "notify-of-delay-every",
    CONF_T_INTERVAL_NEVER, D, "never", false, NULL)
CONF_DIRECTIVE(CONF_CUSTOM_DSN_FROM_HEADER, "custom-dsn-from-header",
    CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_MATCH, "match", CONF_T_WORDS, BA, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ACTION, "action", CONF_T_ENUM, BA, NULL, false,
    "suppress|retry|bounce")
CONF_DIRECTIVE(CONF_MAX_TRIES, "max-tries", CONF_T_INT, BA, NULL, false,
    NULL)

/* Rule lists. */
CONF_DIRECTIVE(CONF_REPLY, "reply", CONF_T_REPLY_RULE, SPL, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_MAIL_FROM, "mail-from", CONF_T_MATCH_RULE, PL, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_RCPT_TO, "rcpt-to", CONF_T_MATCH_RULE, PL, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_HEADER, "header", CONF_T_MATCH_RULE, PL, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_MX, "mx", CONF_T_ROLLUP, MXR, NULL, false, NULL)
CONF_DIRECTIVE(CONF_CATEGORY_PATTERN, "/regex/", CONF_T_CATEGORY_RULE, BCP,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADDRESS, "address", CONF_T_TEXT, AL, NULL, false, NULL)
CONF_DIRECTIVE(CONF_ADDRESS_FILE, "address-file", CONF_T_PATH, AL, NULL,
    false, NULL)

/* Accounting files. */
CONF_DIRECTIVE(CONF_RECORDS, "records", CONF_T_WORDS, A, "d,b", false, NULL)
CONF_DIRECTIVE(CONF_RECORD_FIELDS, "record-fields", CONF_T_RECORD_FIELDS, A,
    NULL, false, NULL)
CONF_DIRECTIVE(CONF_MOVE_INTERVAL, "move-interval", CONF_T_INTERVAL_NEVER,
    A, "never", false, NULL)
CONF_DIRECTIVE(CONF_MAX_SIZE, "max-size", CONF_T_SIZE, A, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_MOVE_TO, "move-to", CONF_T_PATH, A, NULL, false, NULL)
CONF_DIRECTIVE(CONF_DELETE_AFTER, "delete-after", CONF_T_INTERVAL_NEVER, A,
    "never", false, NULL)
CONF_DIRECTIVE(CONF_WORLD_READABLE, "world-readable", CONF_T_BOOL, A, "no",
    false, NULL)
CONF_DIRECTIVE(CONF_ACCT_SYNC, "sync", CONF_T_BOOL, A, "yes", false, NULL)

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
CONF_DIRECTIVE(CONF_HTTP_MGMT_PORT, "http-mgmt-port", CONF_T_INT, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_MGMT_INTERFACE, "http-mgmt-interface",
    CONF_T_TEXT, G, NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_MGMT_AUTH, "http-mgmt-auth", CONF_T_PATH, G, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_HTTP_ACCESS, "http-access", CONF_T_TEXT, G, NULL, false,
    NULL)
CONF_DIRECTIVE(CONF_HTTP_PORT, "port", CONF_T_INT, H, NULL, false, NULL)
CONF_DIRECTIVE(CONF_HTTP_ADDRESS, "address", CONF_T_TEXT, H, NULL,
    false, NULL)
CONF_DIRECTIVE(CONF_ENABLE_CONFIG_EDITING, "enable-config-editing",
    CONF_T_BOOL, H, "no", false, NULL)

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
