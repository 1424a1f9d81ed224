/**
 * The sealer of TO2 session tokens (server-kit SealedTokens): the tokens carry the session state
 * (protocol phases/to2/sessions.ts), so every owner instance must open every other's. The secrets are
 * the configured ones (FDO_OWNER_TO2_TOKEN_SECRET, rotation through …_PREVIOUS_SECRETS) or one kept in
 * the shared database.
 */
import { SealedTokens } from '@fdo/server-kit';
import { serviceSecret, type PrismaClient } from '@fdo/storage';

/** What TO2 session tokens are sealed for: they open in no other context. */
const CONTEXT = 'owner-to2-session';

export async function to2TokenSealer(
  prisma: PrismaClient,
  secrets: Uint8Array[] | null,
  now: () => number = Date.now,
): Promise<SealedTokens> {
  return new SealedTokens(secrets ?? [await serviceSecret(prisma, 'owner', 'to2-session-key', 32)], {
    context: CONTEXT,
    now,
  });
}
