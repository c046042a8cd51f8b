import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { Authenticated, CurrentUser } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { UsageDailyQueryDto, UsageExportQueryDto, UsageLogsQueryDto, UsageRangeQueryDto, UsageSummaryQueryDto } from './dto/usage-query.dto';
import { DailyUsageDto, UsageLogPageDto, UserUsageDto } from './dto/usage-response.dto';
import { UsagesService } from './usages.service';

/**
 * Usage reports under `/1/` (bare objects, errors `{message}`). Only static paths, so
 * `/1/usages/daily|logs|export` are never taken for a parameter. Dates are `YYYY-MM-DD`, `from`
 * inclusive, `to` exclusive, at most 366 days (both missing = the current month, `from` alone = up to
 * the end of today), days local to `tz=+08:00` (default `USAGE_TZ`, else UTC): whole hours on the
 * rollup reports, any offset on `/logs` and `/export`. Common users see only their own usage; a
 * `user_id` naming someone else is a 403, not silently replaced.
 */
@ApiTags('Usages')
@Controller('1')
@ApiBadRequestResponse({ description: 'malformed date, from after to, range over 366 days, a bad tz (or one with minutes on a rollup report), or a bad filter (message names the parameter)' })
export class UsagesController {
  constructor(private readonly usages: UsagesService) {}

  @Get('usages')
  @Authenticated()
  @ApiOperation({ operationId: 'listUsages', summary: 'Cost and total tokens per user over a range of days (admins: every user; others: themselves), from rollups' })
  @ApiOkResponse({
    type: UserUsageDto,
    isArray: true,
    example: [
      { cost: '0.000110', userId: 1, totalUnit: 55 },
      { cost: '0.000110', userId: 2, totalUnit: 55 },
    ],
  })
  @ApiForbiddenResponse({ description: "a common user asked for another user's user_id" })
  summary(@CurrentUser() principal: Principal, @Query() query: UsageSummaryQueryDto): Promise<UserUsageDto[]> {
    return this.usages.summary(principal, query);
  }

  @Get('usages/daily')
  @Authenticated()
  @ApiOperation({ operationId: 'listDailyUsages', summary: 'Per day (UTC, or local to tz) and model: requests, tokens, cost, quota (from rollups)' })
  @ApiOkResponse({ type: DailyUsageDto, isArray: true })
  @ApiForbiddenResponse({ description: "a common user asked for another user's user_id" })
  daily(@CurrentUser() principal: Principal, @Query() query: UsageDailyQueryDto): Promise<DailyUsageDto[]> {
    return this.usages.daily(principal, query);
  }

  @Get('usages/logs')
  @Authenticated()
  @ApiOperation({ operationId: 'listUsageLogs', summary: 'Raw usage records, newest first; keyset (cursor) or page (p, size) pagination; indexed filters' })
  @ApiOkResponse({ type: UsageLogPageDto })
  @ApiForbiddenResponse({ description: "a common user asked for another user's user_id" })
  logs(@CurrentUser() principal: Principal, @Query() query: UsageLogsQueryDto): Promise<UsageLogPageDto> {
    return this.usages.logs(principal, query);
  }

  @Get('usages/export')
  @Authenticated()
  @ApiOperation({ operationId: 'exportUsages', summary: 'Raw usage records of a range as CSV (streamed, oldest first)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'CSV (RFC 4180, CRLF lines) with a header line (attachment `usages-<from>-<to>.csv`)',
    content: {
      'text/csv': {
        schema: { type: 'string' },
        example:
          'id,created_at,user_id,token_id,key_id,model,prompt_tokens,completion_tokens,total_tokens,cost_usd,quota,status_code,is_stream,latency_ms,request_id\r\n' +
          '1234,2023-03-18T10:15:00.000Z,2,3,1,gpt-3.5-turbo,40,15,55,0.0001100000,55,200,false,840,req-5f1c\r\n',
      },
    },
  })
  @ApiForbiddenResponse({ description: "a common user asked for another user's user_id" })
  export(@CurrentUser() principal: Principal, @Query() query: UsageExportQueryDto): StreamableFile {
    const { range, chunks } = this.usages.exportCsv(principal, query);
    return new StreamableFile(Readable.from(chunks), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="usages-${range.from}-${range.to}.csv"`,
    });
  }

  @Get('me/usages')
  @Authenticated()
  @ApiOperation({ operationId: 'getMyUsage', summary: "The caller's own cost and total tokens over a range (one element, zeros when none)" })
  @ApiOkResponse({ type: UserUsageDto, isArray: true })
  mine(@CurrentUser() principal: Principal, @Query() query: UsageRangeQueryDto): Promise<UserUsageDto[]> {
    return this.usages.mine(principal, query);
  }
}
