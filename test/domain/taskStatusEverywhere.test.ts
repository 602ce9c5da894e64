import { readFileSync } from 'node:fs';
import { buildSchema, GraphQLEnumType, GraphQLObjectType } from 'graphql';
import { TaskStatuses } from '../../src/domain/tasks/taskStatus.js';

/**
 * A task's statuses are written once, in src/domain/tasks/taskStatus.ts (`TaskStatuses`); the state
 * store's enum (prisma/schema.prisma) and the API's (schema.graphql) must name exactly those, in the
 * same order, or a status one layer knows would be refused or lost by another.
 */
const prismaSchema = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
const graphqlSchema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

/** The values of `enum <name> { … }` in a Prisma schema, without comments or attributes. */
function prismaEnum(schema: string, name: string): string[] {
  const body = new RegExp(`^enum\\s+${name}\\s*\\{([^}]*)\\}`, 'm').exec(schema)?.[1];
  if (body === undefined) throw new Error(`schema.prisma has no enum ${name}`);
  return body
    .split('\n')
    .map(
      (line) =>
        line
          .replace(/\/\/.*$/, '')
          .trim()
          .split(/\s+/)[0] ?? '',
    )
    .filter((value) => value !== '');
}

describe('the task status list is written once', () => {
  test("schema.prisma's enum TaskStatus lists exactly the domain's TaskStatuses, in order", () => {
    expect(prismaEnum(prismaSchema, 'TaskStatus')).toEqual([...TaskStatuses]);
  });

  test("schema.graphql's enum TaskStatus lists exactly the domain's TaskStatuses, in order", () => {
    const type = graphqlSchema.getType('TaskStatus');
    expect(type).toBeInstanceOf(GraphQLEnumType);
    expect((type as GraphQLEnumType).getValues().map((value) => value.name)).toEqual([...TaskStatuses]);
  });

  test("schema.graphql's StatusCounts has one count per status, named by the status in lower case", () => {
    const type = graphqlSchema.getType('StatusCounts');
    expect(type).toBeInstanceOf(GraphQLObjectType);
    expect(Object.keys((type as GraphQLObjectType).getFields())).toEqual(TaskStatuses.map((status) => status.toLowerCase()));
  });
});
