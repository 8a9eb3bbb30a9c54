using OrleansSocial.Bench;

return args.FirstOrDefault() switch
{
    "runtime" => await RuntimeBenchmark.RunAsync(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: OrleansSocial.Bench runtime");
    return 2;
}
