/**
 * The bare-producer baseline in a process of its own, forked by kafka-baseline.ts: the bench
 * process also hosts the gateway, whose Kafka client factory swaps faster record encoders into
 * kafkajs; here kafkajs is stock unless the settings ask for those encoders.
 * argv[2] holds the settings as JSON; the result goes back over IPC.
 */
import { installFastProduceEncoding } from '@app/kafka';
import { ProducerProcessSettings, runBareProducer } from './kafka-baseline';

const settings = JSON.parse(process.argv[2]) as ProducerProcessSettings;
if (settings.fastEncoding && installFastProduceEncoding() !== 'installed') {
  throw new Error('the fast record encoders could not be installed');
}
runBareProducer(settings).then(
  (result) => process.send!(result, undefined, undefined, () => process.exit(0)),
  (error: Error) => {
    console.error(`producer baseline: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
