using OrleansSocial.Bench;

return args.FirstOrDefault() switch
{
    "runtime" => await RuntimeBenchmark.RunAsync(),
    "cluster" => await ClusterBenchmark.RunAsync(),
    "frontend" => await FrontendBenchmark.RunAsync(),
    "social" => await SocialBenchmark.RunAsync(),
    "feeds" => await FeedsBenchmark.RunAsync(),
    "messaging" => await MessagingBenchmark.RunAsync(),
    "failover" => await FailoverBenchmark.RunAsync(),
    "mixed" => await MixedBenchmark.RunAsync(),
    "media" => await MediaBenchmark.RunAsync(),
    "stories" => await StoriesBenchmark.RunAsync(),
    "analytics" => await AnalyticsBenchmark.RunAsync(),
    "export" => await ExportBenchmark.RunAsync(),
    "web" => await WebBenchmark.RunAsync(),
    "frontend-server" => await FrontendBenchServer.RunAsync(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: OrleansSocial.Bench runtime|cluster|frontend|social|feeds|messaging|failover|mixed|media|stories|analytics|export|web");
    return 2;
}
