using ModeRefresh.ExposurePreview;

return await Preview.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
