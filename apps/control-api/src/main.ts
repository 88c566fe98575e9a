import 'reflect-metadata';
import { runMain } from '@app/observability';
import { startControlApi } from './control-api.app';

runMain('control-api', startControlApi);
