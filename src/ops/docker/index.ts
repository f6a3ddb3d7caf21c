/** Docker Engine access (dockerode): the service, its types and the helpers tests and probes use. */
export { DockerService, type DockerServiceOptions } from './service.js';
export { DEFAULT_DOCKER_HOST, connectionOptions } from './connection.js';
export { dockerError } from './errors.js';
export { toContainerInfo } from './container-info.js';
export { LineSplitter, splitTimestamp } from './log-lines.js';
export { describeSelector, type ContainerInfo, type ContainerSelector, type LogLine, type LogQuery } from './types.js';
