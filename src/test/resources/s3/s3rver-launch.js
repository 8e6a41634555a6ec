// Starts s3rver (the npm package, as installed) on a loopback port of the system's choosing, with the tests' key
// pair beside its built-in one, and prints "listening PORT" once it takes requests. Arguments: the package's
// folder, the data folder, the access key, the secret key. It stops when its standard input closes (the test
// JVM exited or killed it).
const [moduleDir, dataDir, accessKey, secretKey] = process.argv.slice(2);
const S3rver = require(moduleDir);
require(moduleDir + '/lib/models/account').DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dataDir, silent: true });
server.run().then(addr => {
  process.stdout.write('listening ' + addr.port + '\n');
}, err => {
  process.stderr.write('s3rver did not start: ' + err + '\n');
  process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
