import { Type } from 'typebox'
import { PRESET_NAMES, SCOPES } from '../auth/scopes.ts'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'
import { PERMISSION_NAMES } from './key-powers.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })
const AllowList = (item: ReturnType<typeof Type.String>) => Type.Optional(Nullable(Type.Array(item, { maxItems: 100 })))

export const Scope = Type.Union(SCOPES.map((scope) => Type.Literal(scope)))
export const ScopePreset = Type.Union(PRESET_NAMES.map((preset) => Type.Literal(preset)))

export const RestrictionsInput = Type.Object(
  {
    domains: AllowList(Type.String({ maxLength: 253 })),
    senders: AllowList(Type.String({ maxLength: 320 })),
    audiences: AllowList(Type.String({ maxLength: 64 })),
    ips: AllowList(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
)

export const PermissionsInput = Type.Object(
  Object.fromEntries(PERMISSION_NAMES.map((name) => [name, Type.Optional(Type.Boolean())])),
  { additionalProperties: false },
)

export const RateLimitInput = Type.Object(
  {
    requests: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    per_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false },
)

/** Like Stripe's metadata: up to 50 string pairs, for the caller's own bookkeeping. */
export const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 40 }), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
})

const KeyName = Type.String({ minLength: 1, maxLength: 100 })

const powersInput = {
  scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true })),
  expires_at: Type.Optional(Nullable(Timestamp)),
  restrictions: Type.Optional(Nullable(RestrictionsInput)),
  permissions: Type.Optional(PermissionsInput),
  opt_in_template_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  rate_limit: Type.Optional(Nullable(RateLimitInput)),
  metadata: Type.Optional(Metadata),
}

export const CreateKeyBody = Type.Object(
  {
    name: KeyName,
    scope: Type.Optional(ScopePreset),
    mode: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('test')])),
    sending_domain_id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    client: Type.Optional(Type.String({ maxLength: 63 })),
    ...powersInput,
  },
  { additionalProperties: false },
)

/** Sub-account keys: as above, but the name may be left out (MailChannels' endpoint takes no body). */
export const CreateSubAccountKeyBody = Type.Object(
  { ...CreateKeyBody.properties, name: Type.Optional(KeyName) },
  { additionalProperties: false },
)

export const UpdateKeyBody = Type.Object(
  { name: Type.Optional(KeyName), ...powersInput },
  { additionalProperties: false },
)

export const RotateKeyBody = Type.Object(
  { expire_previous_in: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800 })) },
  { additionalProperties: false },
)

export const KeyIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

const statusFilter = {
  ...PageQuery,
  status: Type.Optional(Type.Union(['active', 'revoked', 'expired', 'all'].map((s) => Type.Literal(s)))),
}

export const ListKeysQuery = Type.Object(
  { ...statusFilter, client: Type.Optional(Type.String({ maxLength: 63 })) },
  { additionalProperties: false },
)

export const ListSubAccountKeysQuery = Type.Object(statusFilter, { additionalProperties: false })

const Restrictions = Type.Object({
  domains: Nullable(Type.Array(Type.String())),
  senders: Nullable(Type.Array(Type.String())),
  audiences: Nullable(Type.Array(Type.String())),
  ips: Nullable(Type.Array(Type.String())),
})

export const ApiKeyObject = Type.Object({
  object: Type.Literal('api_key'),
  id: Type.String(),
  name: Type.String(),
  client: Type.String(),
  prefix: Type.String(),
  redacted: Type.String(),
  mode: Type.String(),
  scopes: Type.Array(Type.String()),
  restrictions: Restrictions,
  permissions: Type.Object(Object.fromEntries(PERMISSION_NAMES.map((name) => [name, Type.Boolean()]))),
  opt_in_template_id: Nullable(Type.String()),
  rate_limit: Nullable(Type.Object({ requests: Type.Integer(), per_seconds: Type.Integer() })),
  metadata: Type.Record(Type.String(), Type.String()),
  status: Type.String(),
  expires_at: Nullable(Type.String()),
  last_used_at: Nullable(Type.String()),
  revoked_at: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})

/** Only the create and rotate responses carry the raw key, once. */
export const IssuedKeyObject = Type.Object({ ...ApiKeyObject.properties, key: Type.String() })

export const DeletedKeyObject = Type.Object({
  object: Type.Literal('api_key'),
  id: Type.String(),
  name: Type.String(),
  deleted: Type.Literal(true),
})

export const keyResponses = {
  one: { 200: ApiKeyObject, ...ERROR_RESPONSES },
  issued: { 201: IssuedKeyObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(ApiKeyObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedKeyObject, ...ERROR_RESPONSES },
}
