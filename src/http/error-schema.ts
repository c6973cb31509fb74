import { Type } from 'typebox'

/** The one error shape, for the OpenAPI document; extra members (`fields`, `required_scope`, `existing`) pass through. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String(),
        message: Type.String(),
        fields: Type.Optional(Type.Record(Type.String(), Type.String())),
        required_scope: Type.Optional(Type.String()),
        required_permission: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
)

export const ERROR_RESPONSES = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const
