import { builder } from '../builder.js';

/**
 * Dagster's `DefinitionOwner`: who owns a schedule or sensor. Servo's definitions name no owners,
 * so `owners` fields return an empty list; the types exist for clients that select them.
 */

interface UserOwnerModel {
  readonly __typename: 'UserDefinitionOwner';
  readonly email: string;
}

interface TeamOwnerModel {
  readonly __typename: 'TeamDefinitionOwner';
  readonly team: string;
}

export type DefinitionOwnerModel = UserOwnerModel | TeamOwnerModel;

const UserDefinitionOwner = builder.objectRef<UserOwnerModel>('UserDefinitionOwner').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'UserDefinitionOwner',
  fields: (t) => ({ email: t.exposeString('email') }),
});

const TeamDefinitionOwner = builder.objectRef<TeamOwnerModel>('TeamDefinitionOwner').implement({
  isTypeOf: (value) => (value as { __typename?: string }).__typename === 'TeamDefinitionOwner',
  fields: (t) => ({ team: t.exposeString('team') }),
});

export const DefinitionOwner = builder.unionType('DefinitionOwner', {
  types: [UserDefinitionOwner, TeamDefinitionOwner],
  resolveType: (value) => value.__typename,
});
