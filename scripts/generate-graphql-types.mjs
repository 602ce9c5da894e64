// Generates the TypeScript types of schema.graphql and of its resolvers into src/graphql/generated/
// (git-ignored), with graphql-codegen. Runs on `npm ci` (postinstall, through `npm run generate`) and
// before every `npm run typecheck` and `npm run build`, so the types never lag the schema: resolvers
// are typed `Resolvers` from it, and an argument or field that drifts from the schema fails the build.
import { generate } from '@graphql-codegen/cli';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Each GraphQL object type whose resolvers receive a domain record, and the name src/graphql/mappers.ts gives it. */
const mappers = {
  Identity: 'IdentityParent',
  Token: 'TokenParent',
  AlchemicalNetwork: 'NetworkParent',
  Transformation: 'TransformationParent',
  ChemicalSystem: 'ChemicalSystemParent',
  RestartPattern: 'RestartPatternParent',
  Task: 'TaskParent',
  ProtocolDAG: 'DagParent',
  ProtocolUnit: 'ProtocolUnitParent',
  UnitResult: 'UnitResultParent',
  DagBuildFailure: 'DagBuildFailureParent',
  ResultFile: 'ResultFileParent',
  ProtocolDAGResult: 'DagResultParent',
  ComputeService: 'ComputeServiceParent',
  ComputeManager: 'ComputeManagerParent',
  Claim: 'ClaimParent',
  UploadTicket: 'UploadTicketParent',
  InputObject: 'InputObjectParent',
  FinishResult: 'FinishResultParent',
  TaskStatusChanged: 'TaskStatusChangedParent',
  UnitResultRecorded: 'UnitResultRecordedParent',
  ResultFileAvailable: 'ResultFileAvailableParent',
  ProtocolDAGResultRecorded: 'ProtocolDagResultRecordedParent',
  ComputeServiceExpired: 'ComputeServiceExpiredParent',
  EstimateChanged: 'EstimateChangedParent',
};

try {
  await generate(
    {
      cwd: root,
      silent: true,
      schema: 'schema.graphql',
      generates: {
        'src/graphql/generated/types.ts': {
          plugins: ['typescript', 'typescript-resolvers'],
          config: {
            useTypeImports: true,
            enumsAsTypes: true,
            strictScalars: true,
            scalars: {
              DateTime: { input: 'Date', output: 'Date' },
              JSON: { input: 'unknown', output: 'unknown' },
              SafeInt: { input: 'number', output: 'number | bigint' },
            },
            contextType: '../context.js#GraphQLContext',
            mappers: Object.fromEntries(Object.entries(mappers).map(([type, parent]) => [type, `../mappers.js#${parent}`])),
          },
        },
      },
    },
    true,
  );
} catch (error) {
  console.error(`graphql-codegen failed: ${error instanceof Error ? error.message : String(error)}`);
  for (const detail of error?.errors ?? []) console.error(String(detail?.message ?? detail));
  process.exit(1);
}
