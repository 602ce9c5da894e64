/** Response bodies as the shapes the tests expect (fetch types them as unknown). */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface GraphQLBody<T = Record<string, unknown>> {
  data?: T;
  errors?: Array<{ message: string; extensions: { code: string } }>;
}

export async function jsonOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
