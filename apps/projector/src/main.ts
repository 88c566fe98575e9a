import 'reflect-metadata';
import { runMain } from '@app/observability';
import { startProjector } from './projector.app';

runMain('projector', startProjector);
