import 'reflect-metadata';
import { runMain } from '@app/observability';
import { startAlerter } from './alerter.app';

runMain('alerter', startAlerter);
