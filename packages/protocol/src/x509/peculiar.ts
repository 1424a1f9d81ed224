/**
 * The one place @peculiar/x509 is imported. It resolves its algorithm providers through tsyringe,
 * which needs the Reflect metadata API, so the polyfill is loaded first (ESM evaluates imports in order).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export { x509 };
