using OrleansSocial.Bench;

return args.FirstOrDefault() switch
{
    "runtime" => await RuntimeBenchmark.RunAsync(),
    "cluster" => await ClusterBenchmark.RunAsync(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: OrleansSocial.Bench runtime|cluster");
    return 2;
}
