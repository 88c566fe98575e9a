import 'reflect-metadata';
import { runMain } from '@app/observability';
import { startAgentSim } from './sim.app';

runMain('agent-sim', startAgentSim);
