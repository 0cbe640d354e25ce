import { MemoryStateStore } from '../../../engine/index.js';
import { stateStoreContract } from '../../support/state-store-contract.js';

stateStoreContract('MemoryStateStore', async () => ({
  store: new MemoryStateStore(),
  namespace: 'q#aggregate-0#0',
}));
