/** What `results transformation` and `results network` read (schema.graphql: TransformationEstimate, NetworkEstimates). */

export interface RepeatView {
  taskId: string;
  dagResultId: string;
  seed: number;
  value: number;
  uncertainty: number;
  completedAt: string;
}

export interface TransformationEstimateView {
  value: number;
  uncertainty: number;
  unit: string;
  n: number;
  spread: number | null;
  repeats: RepeatView[];
}

export interface TransformationView {
  scopedKey: string;
  name: string;
  stateA: { name: string };
  stateB: { name: string };
  estimate: TransformationEstimateView | null;
}

export interface NetworkEstimatesView {
  unit: string | null;
  gauge: string;
  disconnected: boolean;
  chemicalSystems: Array<{ chemicalSystem: { scopedKey: string; name: string }; value: number; uncertainty: number; component: number }>;
  transformations: Array<{
    transformation: { scopedKey: string; name: string; stateA: { name: string }; stateB: { name: string } };
    measured: { value: number; uncertainty: number; n: number } | null;
    fitted: number;
    fittedUncertainty: number;
    residual: number | null;
  }>;
  cycles: Array<{ transformationKeys: string[]; directions: number[]; value: number; uncertainty: number }>;
  components: Array<{ index: number; chemicalSystemKeys: string[]; reference: string }>;
}

const estimateFields = 'value uncertainty unit n spread repeats { taskId dagResultId seed value uncertainty completedAt }';

export const transformationEstimateQuery = `query ($key: ID!) { transformation(scopedKey: $key) {
  scopedKey name stateA { name } stateB { name } estimate { ${estimateFields} } } }`;

export const networkEstimatesQuery = `query ($key: ID!, $reference: ID) { network(scopedKey: $key) { scopedKey name
  estimates(reference: $reference) { unit gauge disconnected
    chemicalSystems { chemicalSystem { scopedKey name } value uncertainty component }
    transformations { transformation { scopedKey name stateA { name } stateB { name } }
      measured { value uncertainty n } fitted fittedUncertainty residual }
    cycles { transformationKeys directions value uncertainty }
    components { index chemicalSystemKeys reference } } } }`;
