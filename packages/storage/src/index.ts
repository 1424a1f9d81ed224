export {
  migrationStatus,
  openDatabase,
  providerOf,
  redactUrl,
  type Database,
  type MigrationStatus,
  type OpenDatabaseOptions,
  type Prisma,
  type PrismaClient,
} from './database.js';
export { loadMigrations, MIGRATIONS_DIR, type Migration, type Provider } from './migrate.js';
export {
  API_SCOPES,
  ApiTokenStore,
  parseScopes,
  scopeAllows,
  type ApiPrincipal,
  type ApiScope,
  type ApiTokenInfo,
} from './api-tokens.js';
export {
  isSqlUniqueViolation,
  LAZY_WRITE,
  sqlDate,
  sqlExecute,
  sqlQuery,
  sqlValuesList,
  type SqlDriver,
  type SqlRow,
  type SqlStatement,
  type SqlTransactionBody,
  type SqlValue,
  type SqlWriteOptions,
} from './sql.js';
export { serviceSecret } from './secrets.js';
export { AuditLog, type AuditEntry } from './audit.js';
export { runDbCli, USAGE as DB_USAGE } from './cli.js';
