/**
 * The event catalog (DESIGN.md, contract 7): one payload schema per event type and payload version.
 * Producers rely on it; versions extend it with optional fields only. String limits match the
 * columns they land in, so a valid event always fits its row.
 */
import { z } from 'zod';
import { amountSchema } from './amount.ts';

/** Entity ids: compared byte for byte, so no leading or trailing whitespace (MySQL pads it away). */
export const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:[\s\S]*\S)?$/, 'must not start or end with whitespace');
/** Event ids order events on ties and key state rows: visible ASCII only. */
export const eventIdSchema = z.string().regex(/^[\x21-\x7E]{1,64}$/, 'must be 1-64 visible ASCII characters');
/** Epoch milliseconds, between 2000-01-01 and 2100-01-01. */
export const epochMillis = z.number().int().min(946_684_800_000).max(4_102_444_800_000);
const text = (max: number) => z.string().max(max);

export const userLoginV1 = z.object({
  userId: id,
  loginTime: epochMillis,
  device: text(64).min(1),
  ip: text(45).min(1),
});
export const userPurchaseV1 = z.object({
  userId: id,
  orderId: id,
  productId: id,
  amount: amountSchema,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .optional(),
});
export const userViewV1 = z.object({
  userId: id,
  page: text(255).min(1),
  productId: id.optional(),
  durationMs: z.number().int().min(0).max(86_400_000).optional(),
});
export const orderCreateV1 = z.object({
  orderId: id,
  userId: id,
  productId: id,
  quantity: z.number().int().min(1).max(1_000_000),
  amount: amountSchema,
});
export const orderPayV1 = z.object({
  orderId: id,
  userId: id,
  amount: amountSchema,
  payMethod: text(32).min(1),
  payTime: epochMillis,
});
export const orderCancelV1 = z.object({
  orderId: id,
  userId: id,
  reason: text(255).optional(),
});
export const productViewV1 = z.object({
  productId: id,
  userId: id.optional(),
  referrer: text(255).optional(),
});
export const productSearchV1 = z.object({
  keyword: text(255).min(1),
  resultCount: z.number().int().min(0).max(2_147_483_647),
  userId: id.optional(),
});
export const productRecommendV1 = z.object({
  userId: id,
  productIds: z.array(id).min(1).max(100),
  scene: text(64).min(1),
});

export interface CatalogEntry<S extends z.ZodType = z.ZodType> {
  domain: string;
  type: string;
  /** `major.minor` */
  version: string;
  payload: S;
}

/** The catalog as shipped: payload version 1.0 of the nine event types. */
export const CATALOG_V1 = [
  { domain: 'user', type: 'user_login', version: '1.0', payload: userLoginV1 },
  { domain: 'user', type: 'user_purchase', version: '1.0', payload: userPurchaseV1 },
  { domain: 'user', type: 'user_view', version: '1.0', payload: userViewV1 },
  { domain: 'order', type: 'order_create', version: '1.0', payload: orderCreateV1 },
  { domain: 'order', type: 'order_pay', version: '1.0', payload: orderPayV1 },
  { domain: 'order', type: 'order_cancel', version: '1.0', payload: orderCancelV1 },
  { domain: 'product', type: 'product_view', version: '1.0', payload: productViewV1 },
  { domain: 'product', type: 'product_search', version: '1.0', payload: productSearchV1 },
  { domain: 'product', type: 'product_recommend', version: '1.0', payload: productRecommendV1 },
] as const satisfies readonly CatalogEntry[];

export type UserLogin = z.output<typeof userLoginV1>;
export type UserPurchase = z.output<typeof userPurchaseV1>;
export type UserView = z.output<typeof userViewV1>;
export type OrderCreate = z.output<typeof orderCreateV1>;
export type OrderPay = z.output<typeof orderPayV1>;
export type OrderCancel = z.output<typeof orderCancelV1>;
export type ProductView = z.output<typeof productViewV1>;
export type ProductSearch = z.output<typeof productSearchV1>;
export type ProductRecommend = z.output<typeof productRecommendV1>;

const VERSION = /^(\d{1,4})\.(\d{1,4})$/;

export function parseVersion(version: string): { major: number; minor: number } | undefined {
  const match = VERSION.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/**
 * Schemas by event type and payload version. A version the catalog lacks is read with the newest
 * registered schema of the same major version below it: minor versions only add optional fields,
 * so an older schema still reads a newer event (unknown fields are dropped).
 */
export class EventCatalog {
  readonly #byType = new Map<string, CatalogEntry[]>();
  readonly #domains = new Set<string>();

  constructor(entries: readonly CatalogEntry[] = CATALOG_V1) {
    for (const entry of entries) this.register(entry);
  }

  register(entry: CatalogEntry): this {
    if (!parseVersion(entry.version))
      throw new Error(`catalog: bad version ${entry.version} for ${entry.type}`);
    const versions = this.#byType.get(entry.type) ?? [];
    if (versions.some((v) => v.version === entry.version)) {
      throw new Error(`catalog: ${entry.type} version ${entry.version} registered twice`);
    }
    if (versions.some((v) => v.domain !== entry.domain)) {
      throw new Error(`catalog: ${entry.type} belongs to two domains`);
    }
    versions.push(entry);
    versions.sort((a, b) => compareVersions(b.version, a.version));
    this.#byType.set(entry.type, versions);
    this.#domains.add(entry.domain);
    return this;
  }

  hasDomain(domain: string): boolean {
    return this.#domains.has(domain);
  }

  domainOf(type: string): string | undefined {
    return this.#byType.get(type)?.[0]?.domain;
  }

  /** The entry that reads `type` at `version`: undefined type → `'unknown_type'`, no schema → `'unknown_version'`. */
  resolve(type: string, version: string): CatalogEntry | 'unknown_type' | 'unknown_version' {
    const versions = this.#byType.get(type);
    if (!versions) return 'unknown_type';
    const wanted = parseVersion(version);
    if (!wanted) return 'unknown_version';
    const entry = versions.find((v) => {
      const have = parseVersion(v.version)!;
      return have.major === wanted.major && have.minor <= wanted.minor;
    });
    return entry ?? 'unknown_version';
  }
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.major - y.major || x.minor - y.minor;
}
