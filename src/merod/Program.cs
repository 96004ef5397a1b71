using Merod;

return await MerodCli.RunAsync(args).ConfigureAwait(false);
