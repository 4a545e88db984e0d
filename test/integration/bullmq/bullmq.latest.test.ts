import { bullmqSuite } from './suite.js';

bullmqSuite('BullMQ adapter on the installed bullmq (6.x)', [], { sandboxCancel: true });
