/**
 * @deprecated Import `isCluster` from `./isCluster.js` (and `groupBySlot`, `nodeProbeTag` from their own
 * files). This re-export stays only until `diagnosis/diagnoseRedis.ts` imports `../isCluster.js`; then delete it.
 */
export { isCluster } from './isCluster.js';
