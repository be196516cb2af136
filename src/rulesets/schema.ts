/**
 * Shape of a ruleset file (rulesets/*.yaml or a user's --ruleset FILE). Structural checks only;
 * the cross-references (roles, parameters, ports, symptom ids) are checked in load.ts so that every
 * error can name the line it comes from. Documented field by field in rulesets/README.md.
 */
import { z } from 'zod';

export const KEBAB_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PARAM_ID = /^[a-z][a-z0-9_]*$/;
/** Transports a requirement may name. Port-less transports must have `ports: null`. */
export const PORTED_TRANSPORTS = ['tcp', 'udp', 'sctp'] as const;
export const PORTLESS_TRANSPORTS = ['icmp', 'icmpv6', 'gre', 'esp', 'ah'] as const;
export const TRANSPORTS = [...PORTED_TRANSPORTS, ...PORTLESS_TRANSPORTS] as const;
/** Operators of a `when` condition (exactly one per condition). */
export const WHEN_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in'] as const;
/** Role every ruleset may use without declaring it: any public (non-private, non-reserved) address. */
export const BUILTIN_ROLES = ['internet'] as const;

const kebab = (what: string) => z.string().regex(KEBAB_ID, `${what} must be kebab-case (a-z, 0-9, -)`);
const text = z.string().trim().min(1, 'must not be empty');

const sourceSchema = z.strictObject({
  document: text,
  section: text,
  quote: text.optional(),
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const portAtom = z.union([z.number().int('port must be an integer'), z.string()]);
const portsSchema = z.union([portAtom, z.array(portAtom).min(1, 'port list must not be empty'), z.null()]);

const hostPattern = z
  .string()
  .regex(/^[A-Za-z0-9*]([A-Za-z0-9*.-]*[A-Za-z0-9*])?$/, 'host must be a hostname; `*` is the only wildcard (no scheme, path or port)');

const whenSchema = z
  .strictObject({
    param: z.string().regex(PARAM_ID, 'param must be a parameter id'),
    eq: scalar.optional(),
    ne: scalar.optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    in: z.array(scalar).min(1).optional(),
  })
  .refine((w) => WHEN_OPS.filter((op) => (w as Record<string, unknown>)[op] !== undefined).length === 1, {
    message: `when needs exactly one operator of ${WHEN_OPS.join(', ')}`,
  });

export const parameterSchema = z.strictObject({
  id: z.string().regex(PARAM_ID, 'parameter id must be snake_case (a-z, 0-9, _)'),
  description: text,
  default: z.union([z.number(), z.string(), z.boolean()]),
  type: z.enum(['port', 'ports', 'number', 'boolean', 'string']).optional(),
  source: sourceSchema.optional(),
});

export const requirementSchema = z.strictObject({
  id: kebab('requirement id'),
  from: kebab('role'),
  to: kebab('role').optional(),
  hosts: z.array(hostPattern).min(1).optional(),
  transport: z.enum(TRANSPORTS, `transport must be one of ${TRANSPORTS.join(', ')}`),
  ports: portsSchema,
  purpose: text,
  symptom: text.optional(),
  necessity: z.enum(['required', 'optional', 'conditional']),
  condition: text.optional(),
  when: whenSchema.optional(),
  local_only: z.boolean().optional(),
  window: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'window must be HH:MM-HH:MM (local time)')
    .optional(),
  ambiguity: text.optional(),
  source: sourceSchema,
});

export const symptomSchema = z.strictObject({
  id: kebab('symptom id'),
  text: text,
  requirements: z.array(kebab('requirement id')).min(1),
  advice: text.optional(),
});

export const rulesetFileSchema = z.strictObject({
  id: kebab('ruleset id'),
  product: text,
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  description: text.optional(),
  documents: z
    .array(z.strictObject({ file: text, title: text, version: z.union([z.string(), z.number()]).transform(String).optional(), url: text.optional() }))
    .optional(),
  roles: z.record(kebab('role id'), text).refine((r) => Object.keys(r).length > 0, 'at least one role is needed'),
  parameters: z.array(parameterSchema).default([]),
  requirements: z.array(requirementSchema).min(1, 'at least one requirement is needed'),
  symptoms: z.array(symptomSchema).optional(),
});

export type RulesetFile = z.infer<typeof rulesetFileSchema>;
