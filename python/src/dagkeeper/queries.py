"""The GraphQL operations the client sends, checked against schema.graphql by the tests (a real server
validates every one)."""

CREATE_NETWORK = """
mutation ($scope: String!, $input: NetworkInput!) {
  createNetwork(scope: $scope, input: $input) { created network { scopedKey } }
}"""

_NETWORK_FIELDS = """
  scopedKey scope name weight state createdAt
  chemicalSystems { scopedKey name components }
  transformations { scopedKey name protocol settings stateA { scopedKey name } stateB { scopedKey name } }
  statusCounts { waiting running complete error invalid deleted }
"""

GET_NETWORK = f"query ($key: ID!) {{ network(scopedKey: $key) {{ {_NETWORK_FIELDS} }} }}"

QUERY_NETWORKS = """
query ($scope: String, $name: String, $state: [NetworkState!], $after: ID) {
  networks(scope: $scope, name: $name, state: $state, after: $after) { scopedKey name }
}"""

QUERY_TRANSFORMATIONS = """
query ($scope: String, $name: String, $after: ID) {
  transformations(scope: $scope, name: $name, after: $after) { scopedKey name }
}"""

QUERY_CHEMICAL_SYSTEMS = """
query ($scope: String, $name: String, $after: ID) {
  chemicalSystems(scope: $scope, name: $name, after: $after) { scopedKey name }
}"""

PAGE_SIZE = 1000
"""The API's default (and largest) page of networks, transformations and chemical systems."""

GET_CHEMICAL_SYSTEM = """
query ($key: ID!) {
  chemicalSystem(scopedKey: $key) {
    scopedKey name components
    transformations { scopedKey name }
  }
}"""

CHEMICAL_SYSTEM_NETWORKS = """
query ($key: ID!, $state: [NetworkState!]) { chemicalSystem(scopedKey: $key) { networks(state: $state) { scopedKey } } }"""

TRANSFORMATION_NETWORKS = """
query ($key: ID!, $state: [NetworkState!]) { transformation(scopedKey: $key) { networks(state: $state) { scopedKey } } }"""

SET_NETWORK_STATE = """
mutation ($keys: [ID!]!, $state: NetworkState!) { setNetworkState(networkKeys: $keys, state: $state) { scopedKey state } }"""

GET_TRANSFORMATION = """
query ($key: ID!) {
  transformation(scopedKey: $key) {
    scopedKey name protocol settings
    stateA { scopedKey name components } stateB { scopedKey name components }
    statusCounts { waiting running complete error invalid deleted }
  }
}"""

SET_NETWORK_WEIGHT = "mutation ($key: ID!, $weight: Float!) { setNetworkWeight(networkKey: $key, weight: $weight) { scopedKey } }"

STATUS_COUNTS = """
query ($scope: String, $networkKey: ID, $transformationKey: ID) {
  statusCounts(scope: $scope, networkKey: $networkKey, transformationKey: $transformationKey) {
    waiting running complete error invalid deleted
  }
}"""

CREATE_TASKS = """
mutation ($key: ID!, $count: Int, $extends: ID, $priority: Int, $dag: JSON, $seed: SafeInt) {
  createTasks(transformationKey: $key, count: $count, extends: $extends, priority: $priority, dag: $dag, seed: $seed) { id }
}"""

ACTION_TASKS = "mutation ($key: ID!, $ids: [ID!]!) { actionTasks(networkKey: $key, taskIds: $ids) }"
CANCEL_TASKS = "mutation ($key: ID!, $ids: [ID!]!) { cancelTasks(networkKey: $key, taskIds: $ids) }"

_TASK_FIELDS = "id scope status priority seed createdAt updatedAt transformation { scopedKey } extends { id } actionedOn"

TASKS_PAGE = f"""
query ($first: Int, $after: String, $filter: TaskFilter) {{
  tasks(first: $first, after: $after, filter: $filter) {{
    edges {{ node {{ {_TASK_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

GET_TASK = f"""
query ($id: ID!) {{
  task(id: $id) {{
    {_TASK_FIELDS} waitingForProtocol
    dag {{ sha256 units {{ key name dependencies state }} remaining {{ runnable blocked }} }}
  }}
}}"""

SET_TASK_STATUS = "mutation ($ids: [ID!]!, $status: TaskStatus!) { setTaskStatus(taskIds: $ids, status: $status) { id } }"
SET_TASK_PRIORITY = "mutation ($ids: [ID!]!, $priority: Int!) { setTaskPriority(taskIds: $ids, priority: $priority) { id } }"

ADD_RESTART_PATTERN = """
mutation ($key: ID!, $pattern: String!, $maxRetries: Int!) {
  addRestartPattern(networkKey: $key, pattern: $pattern, maxRetries: $maxRetries) { id }
}"""
REMOVE_RESTART_PATTERN = "mutation ($key: ID!, $pattern: String!) { removeRestartPattern(networkKey: $key, pattern: $pattern) }"
RESTART_PATTERNS = "query ($key: ID!) { network(scopedKey: $key) { restartPatterns { pattern maxRetries } } }"

_ESTIMATE_FIELDS = "value uncertainty unit n spread repeats { taskId dagResultId seed value uncertainty completedAt }"

TRANSFORMATION_ESTIMATE = f"query ($key: ID!) {{ transformation(scopedKey: $key) {{ estimate {{ {_ESTIMATE_FIELDS} }} }} }}"

NETWORK_ESTIMATES = f"""
query ($key: ID!, $reference: ID) {{
  network(scopedKey: $key) {{
    estimates(reference: $reference) {{
      unit gauge disconnected
      chemicalSystems {{ chemicalSystem {{ scopedKey name }} value uncertainty component }}
      transformations {{
        transformation {{ scopedKey name }}
        measured {{ value uncertainty unit n }}
        fitted fittedUncertainty residual
      }}
      cycles {{ transformationKeys directions value uncertainty }}
      components {{ index chemicalSystemKeys reference }}
    }}
  }}
}}"""

TASK_RESULTS = """
query ($id: ID!) {
  task(id: $id) { dagResults(ok: true) { id ok createdAt estimate { value uncertainty unit } document } }
}"""

TASK_FAILURES = """
query ($id: ID!) {
  task(id: $id) {
    failures {
      __typename unitKey attempt exception traceback
      ... on UnitResult { id startedAt endedAt log }
      ... on DagBuildFailure { id createdAt }
    }
  }
}"""

TASK_FILES = """
query ($id: ID!, $unit: String, $ok: Boolean) {
  task(id: $id) { resultFiles(unitKey: $unit, ok: $ok) { id unitKey path size sha256 committedAt downloadUrl } }
}"""

REQUEST_SIZE_LIMITS = "{ requestSizeLimits { maxRequestBytes maxJsonValueBytes } }"

_INPUT_OBJECT_FIELDS = "scope sha256 size encoding storedSize keys downloadUrl"

CREATE_INPUT_UPLOAD = """
mutation ($input: InputUploadInput!) {
  createInputUpload(input: $input) { object { sha256 } upload { uploadId url parts { partNumber url offset size } partCount } }
}"""

CONTINUE_INPUT_UPLOAD = """
mutation ($id: ID!, $first: Int!) { continueInputUpload(uploadId: $id, firstPartNumber: $first) { parts { partNumber url offset size } } }"""

COMMIT_INPUT_UPLOAD = """
mutation ($id: ID!, $parts: [UploadedPartInput!]) { commitInputUpload(uploadId: $id, parts: $parts) { sha256 } }"""

INPUT_OBJECT = f"query ($scope: String!, $sha256: String!) {{ inputObject(scope: $scope, sha256: $sha256) {{ {_INPUT_OBJECT_FIELDS} }} }}"

INPUT_OBJECT_BY_KEY = f"query ($scope: String!, $key: String!) {{ inputObjectByKey(scope: $scope, key: $key) {{ {_INPUT_OBJECT_FIELDS} }} }}"
