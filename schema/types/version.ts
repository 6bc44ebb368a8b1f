import { builder } from '../builder.js';

builder.queryField('version', (t) =>
  t.string({ description: "Servo's version.", resolve: (_root, _args, context) => context.services.version }),
);
