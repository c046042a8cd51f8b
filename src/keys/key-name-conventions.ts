import { BadRequestException } from '@nestjs/common';

/** The `api-version` opencatd sends for every Azure key (pkg/openai/chat.go `AzureApiVersion`). */
export const OPENCATD_AZURE_API_VERSION = '2024-02-01';

/** An Azure resource name as its host label: letters, digits and inner hyphens, 2 to 64 characters. */
const AZURE_RESOURCE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])$/;

/** Name prefixes opencatd routes to providers Tollgate does not relay (router.go HandleAddKey). */
const UNSUPPORTED_PREFIXES = { 'claude.': 'Claude', 'google.': 'Gemini' } as const;

/** What a key's name says about its route under opencatd's conventions. */
export type KeyNameConvention =
  | { kind: 'azure'; resource: string; endpoint: string; apiVersion: string }
  | { kind: 'unsupported'; provider: string };

/**
 * opencatd's key-name conventions (mirrors2/opencatd-open router/router.go HandleAddKey, doc/azure.md),
 * read on the name trimmed and lower-cased as opencatd does:
 * - `azure.<resource>[.<anything>]` is an Azure OpenAI key of that resource: the segment after
 *   `azure.` up to the next dot, as opencatd's `strings.Split(name, ".")[1]`, gives the endpoint
 *   `https://<resource>.openai.azure.com`, and opencatd's `api-version` 2024-02-01;
 * - `claude.<name>` and `google.<name>` are Anthropic and Gemini keys (unsupported here);
 * - any other name: undefined.
 * @throws BadRequestException (400) naming `name` when the part after `azure.` is not an Azure resource name
 */
export function keyNameConvention(name: string): KeyNameConvention | undefined {
  const lower = name.trim().toLowerCase();
  if (lower.startsWith('azure.')) {
    const resource = lower.split('.')[1];
    if (!AZURE_RESOURCE.test(resource)) {
      throw new BadRequestException(
        `name "${name.trim()}": "${resource}" is not an Azure resource name (azure.<resource>: 2 to 64 letters, digits and hyphens, the host of https://<resource>.openai.azure.com)`,
      );
    }
    return { kind: 'azure', resource, endpoint: `https://${resource}.openai.azure.com`, apiVersion: OPENCATD_AZURE_API_VERSION };
  }
  for (const [prefix, provider] of Object.entries(UNSUPPORTED_PREFIXES)) {
    if (lower.startsWith(prefix)) return { kind: 'unsupported', provider };
  }
  return undefined;
}
