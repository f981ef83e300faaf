/** The route table: the server dispatches from it and the OpenAPI document is generated from it. */
import type { Route } from '../router.js';
import { captureGapsRoute, captureStatusRoute, listInterfacesRoute, startCaptureRoute, stopCaptureRoute } from './capture-routes.js';
import { fileRoute, flowFilesRoute, followRoute } from './file-routes.js';
import { flowLogsRoute, logStatsRoute } from './log-routes.js';
import { loginGetRoute, loginPostRoute, logoutRoute } from './login-routes.js';
import { liveRoute, openApiRoute } from './meta-routes.js';
import { alertPcapRoute, capmeRoute, flowPcapRoute } from './pcap-routes.js';
import { eventsRoute, flowsRoute, infoRoute, statsRoute } from './query-routes.js';
import {
  createClassRoute,
  createThreatListRoute,
  deleteClassRoute,
  deleteThreatListRoute,
  listClassesRoute,
  listThreatListsRoute,
  updateClassRoute,
  updateThreatListRoute,
} from './ranking-routes.js';
import { addSensorRoute, listSensorsRoute, removeSensorRoute } from './sensor-routes.js';
import { abandonUploadRoute, createUploadRoute, importUploadRoute, putChunkRoute } from './upload-routes.js';
import { importServerFileRoute, listServerFilesRoute } from './server-file-routes.js';

export const ROUTES: readonly Route[] = [
  loginGetRoute,
  loginPostRoute,
  logoutRoute,
  infoRoute,
  flowsRoute,
  eventsRoute,
  statsRoute,
  capmeRoute,
  flowPcapRoute,
  alertPcapRoute,
  followRoute,
  flowFilesRoute,
  flowLogsRoute,
  logStatsRoute,
  fileRoute,
  createUploadRoute,
  putChunkRoute,
  importUploadRoute,
  abandonUploadRoute,
  listServerFilesRoute,
  importServerFileRoute,
  liveRoute,
  listSensorsRoute,
  addSensorRoute,
  removeSensorRoute,
  listClassesRoute,
  createClassRoute,
  updateClassRoute,
  deleteClassRoute,
  listThreatListsRoute,
  createThreatListRoute,
  updateThreatListRoute,
  deleteThreatListRoute,
  listInterfacesRoute,
  captureStatusRoute,
  captureGapsRoute,
  startCaptureRoute,
  stopCaptureRoute,
  openApiRoute,
];
