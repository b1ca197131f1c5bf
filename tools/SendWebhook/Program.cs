using ModeRefresh.SendWebhook;

return await Sender.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
