import 'reflect-metadata';
import { runMain } from '@app/observability';
import { startGateway } from './gateway.app';

runMain('gateway', startGateway);
